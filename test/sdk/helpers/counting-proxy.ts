// A real node:http reverse proxy on port 0 in front of the auth server: it forwards every request unchanged and
// counts the token requests, so a test can assert how many reached the server. It can hold token answers back.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface CountingProxy {
  readonly url: string;
  /** POST /token requests received. */
  readonly tokenRequests: number;
  /** Token requests received and not yet answered. */
  readonly tokenRequestsInFlight: number;
  /** Where to forward (set once the upstream listens). */
  setTarget(url: string): void;
  /** Delay before each token request is forwarded. */
  setTokenDelayMs(ms: number): void;
  close(): Promise<void>;
}

export async function startCountingProxy(): Promise<CountingProxy> {
  let target: URL | undefined;
  let tokenRequests = 0;
  let inFlight = 0;
  let delayMs = 0;
  const server: Server = createServer((req, res) => {
    const isToken = req.method === "POST" && req.url === "/token";
    const forward = (): void => {
      if (target === undefined) {
        res.writeHead(502).end();
        return;
      }
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on("end", () => {
            if (isToken) inFlight -= 1;
          });
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    };
    if (!isToken) {
      forward();
      return;
    }
    tokenRequests += 1;
    inFlight += 1;
    if (delayMs === 0) forward();
    else void sleep(delayMs).then(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get tokenRequests() {
      return tokenRequests;
    },
    get tokenRequestsInFlight() {
      return inFlight;
    },
    setTarget(url) {
      target = new URL(url);
    },
    setTokenDelayMs(ms) {
      delayMs = ms;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
    },
  };
}
