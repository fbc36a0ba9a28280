// A real node:http server on port 0 that answers like an OAuth 2.0 authorization server whose token endpoint
// follows a script (503s, 400s, dropped connections), recording each token request it receives.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export type ScriptedAnswer =
  | { readonly status: number; readonly body: unknown; readonly headers?: Record<string, string> }
  | "drop-connection";

export interface RecordedTokenRequest {
  readonly headers: IncomingHttpHeaders;
  readonly form: Record<string, string>;
}

export interface ScriptedOAuthServer {
  readonly issuer: string;
  readonly tokenRequests: readonly RecordedTokenRequest[];
  /** Answers for the next token requests, in order; after them, `fallback` answers. */
  script(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

export async function startScriptedOAuthServer(fallback: ScriptedAnswer): Promise<ScriptedOAuthServer> {
  let queue: ScriptedAnswer[] = [];
  const tokenRequests: RecordedTokenRequest[] = [];
  let issuer = "";
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.method === "GET" && req.url === "/.well-known/oauth-authorization-server") {
        send(200, { issuer, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` });
        return;
      }
      if (req.method === "POST" && req.url === "/token") {
        tokenRequests.push({
          headers: req.headers,
          form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))),
        });
        const answer = queue.shift() ?? fallback;
        if (answer === "drop-connection") {
          req.socket.destroy();
          return;
        }
        send(answer.status, answer.body, answer.headers);
        return;
      }
      send(404, { error: "not_found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    tokenRequests,
    script(...answers) {
      queue = [...queue, ...answers];
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
    },
  };
}

/** A token response (RFC 6749 §5.1). */
export function tokenAnswer(accessToken: string, expiresIn = 300): ScriptedAnswer {
  return { status: 200, body: { access_token: accessToken, token_type: "Bearer", expires_in: expiresIn } };
}
