import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A listening demo service: `listen(0)` in tests, a fixed port from `main.ts`. */
export interface HttpService {
  listen(port: number, host?: string): Promise<{ port: number }>;
  close(): Promise<void>;
}

/** Wraps a request listener in a node:http server; `onClose` runs after the server has closed. */
export function httpService(listener: RequestListener, onClose: () => void | Promise<void> = () => undefined): HttpService {
  const server: Server = createServer(listener);
  return {
    async listen(port, host = "127.0.0.1") {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      return { port: (server.address() as AddressInfo).port };
    },
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await onClose();
    },
  };
}

/** Runs a service until SIGTERM/SIGINT, then closes it. */
export function runUntilSignal(service: HttpService, name: string): void {
  const stop = () => {
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.stdout.write(`${JSON.stringify({ level: 30, service: name, msg: "listening" })}\n`);
}
