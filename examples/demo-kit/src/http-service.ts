import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createServiceServer, type ServiceIdentity } from "@gatehouse/sdk";

/** A listening demo service: `listen(0)` in tests, a fixed port from `main.ts`. */
export interface HttpService {
  listen(port: number, host?: string): Promise<{ port: number }>;
  close(): Promise<void>;
}

/**
 * Mutual TLS for a demo service: its Gatehouse identity (key made in the process, certificate from the auth
 * server's CA) and the services whose certificates may connect (the gateway).
 */
export interface ServiceTransport {
  readonly identity: ServiceIdentity;
  readonly allow: readonly string[];
}

/**
 * Wraps a request listener in a node:http server, or, with `transport`, in the SDK's `createServiceServer` (HTTPS,
 * TLS 1.3, a client certificate required and its SPIFFE ID checked against `transport.allow`; refused connections
 * are logged as one JSON line). `onClose` runs after the server has closed.
 */
export function httpService(listener: RequestListener, onClose: () => void | Promise<void> = () => undefined, transport?: ServiceTransport): HttpService {
  let server: Server | undefined;
  const make = async (): Promise<Server> => {
    if (transport === undefined) return createServer(listener);
    await transport.identity.ready();
    return createServiceServer(transport.identity, listener, {
      allow: transport.allow,
      onRefused: (refusal) => process.stdout.write(`${JSON.stringify({ level: 40, event: "tls.refused", ...refusal, msg: "connection refused" })}\n`),
    });
  };
  return {
    async listen(port, host = "127.0.0.1") {
      const listening = await make();
      server = listening;
      await new Promise<void>((resolve, reject) => {
        listening.once("error", reject);
        listening.listen(port, host, () => {
          listening.off("error", reject);
          resolve();
        });
      });
      return { port: (listening.address() as AddressInfo).port };
    },
    async close() {
      const listening = server;
      if (listening !== undefined) {
        listening.closeIdleConnections();
        await new Promise<void>((resolve) => {
          listening.close(() => resolve());
          setTimeout(() => listening.closeAllConnections(), 2000).unref();
        });
      }
      transport?.identity.close();
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
