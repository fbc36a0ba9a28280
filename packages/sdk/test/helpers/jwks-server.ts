// A real node:http server on port 0 that publishes authorization server metadata (RFC 8414) and a JWKS,
// counts the requests it gets, and lets a test swap the keys or stop answering.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { JWK } from "jose";

export interface JwksServer {
  readonly issuer: string;
  readonly jwksUri: string;
  /** GET /jwks requests answered so far. */
  readonly jwksRequests: number;
  /** GET /.well-known/* requests answered so far. */
  readonly metadataRequests: number;
  setKeys(keys: readonly JWK[]): void;
  /** Answer every request with 503 (true) or normally (false). */
  setFailing(failing: boolean): void;
  close(): Promise<void>;
}

export interface JwksServerOptions {
  /** Accept connections but never answer (to exercise timeouts). */
  readonly hang?: boolean;
}

export async function startJwksServer(keys: readonly JWK[], options: JwksServerOptions = {}): Promise<JwksServer> {
  let current = [...keys];
  let jwksRequests = 0;
  let metadataRequests = 0;
  let issuer = "";
  let failing = false;
  const server: Server = createServer((req, res) => {
    if (options.hang === true) return;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (failing) {
      send(503, { error: "temporarily_unavailable" });
    } else if (req.url === "/jwks") {
      jwksRequests += 1;
      send(200, { keys: current });
    } else if (req.url === "/.well-known/oauth-authorization-server") {
      metadataRequests += 1;
      send(200, { issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` });
    } else {
      send(404, { error: "not_found" });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    get jwksRequests() {
      return jwksRequests;
    },
    get metadataRequests() {
      return metadataRequests;
    },
    setKeys(next) {
      current = [...next];
    },
    setFailing(next) {
      failing = next;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
    },
  };
}
