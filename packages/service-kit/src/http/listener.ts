import { once } from "node:events";
import { createServer, type RequestListener, type Server } from "node:http";
import { createServer as createTlsServer, type Server as HttpsServer, type ServerOptions as HttpsServerOptions } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { z } from "zod";

/**
 * How often Node looks for connections past their header or request deadline. Node's default is
 * 30 s, which let a `headersTimeoutMs: 5000` client trickle on for 35 s; a quarter second keeps every
 * deadline within a second of its setting at the cost of one cheap scan of open connections.
 */
export const CONNECTION_CHECK_INTERVAL_MS = 250;

/**
 * Added by Node to `keepAliveTimeout` before an idle socket really closes (its default is 1 s), so a
 * client that sends just as the announced `Keep-Alive: timeout` ends is not cut mid-request. Half a
 * second keeps the idle close within a second of the setting.
 */
export const KEEP_ALIVE_TIMEOUT_BUFFER_MS = 500;

/** The fields of the `listener` section, for a service that adds settings of its own beside them (the gateway's `tls`). */
export const listenerFields = {
  headersTimeoutMs: z
    .int()
    .min(1_000)
    .max(600_000)
    .default(10_000)
    .describe("A client must send its request headers within this (slowloris bound); else 408 and the connection closes."),
  requestTimeoutMs: z
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(60_000)
    .describe("A client must send its whole request, body included, within this; else 408 and the connection closes."),
  keepAliveTimeoutMs: z.int().min(1_000).max(600_000).default(5_000).describe("Idle client keep-alive connections close after this."),
};

/** The rule between the timeouts: pass to `.refine(…)` of any schema built from {@link listenerFields}. */
export const listenerTimeoutsRule: [
  check: (l: { headersTimeoutMs: number; requestTimeoutMs: number }) => boolean,
  params: { path: PropertyKey[]; error: string },
] = [(l) => l.headersTimeoutMs <= l.requestTimeoutMs, { path: ["headersTimeoutMs"], error: "must not exceed requestTimeoutMs" }];

/** What the `listener` section is. */
export const LISTENER_DESCRIPTION = "Client-facing HTTP timeouts, each enforced within a second of its setting.";

/** The client-facing timeouts every Gatehouse listener enforces (the `listener` config section). */
export const listenerSchema = z
  .strictObject(listenerFields)
  .refine(...listenerTimeoutsRule)
  .prefault({})
  .describe(LISTENER_DESCRIPTION);

/** The validated `listener` section. */
export type ListenerTimeouts = z.output<typeof listenerSchema>;

/**
 * Creates an HTTP server that enforces `timeouts` within a second: header and request deadlines are
 * checked every {@link CONNECTION_CHECK_INTERVAL_MS}, idle keep-alive connections close
 * {@link KEEP_ALIVE_TIMEOUT_BUFFER_MS} after `keepAliveTimeoutMs`.
 */
export function createHttpServer(timeouts: ListenerTimeouts, handler: RequestListener): Server {
  return createServer(serverTimeouts(timeouts), handler);
}

/**
 * {@link createHttpServer} over TLS: the same timeouts, with `tls` (certificate, key, client
 * certificate settings). Swap certificates in the running server with `setSecureContext`.
 */
export function createHttpsServer(timeouts: ListenerTimeouts, tls: HttpsServerOptions, handler: RequestListener): HttpsServer {
  return createTlsServer({ ...tls, ...serverTimeouts(timeouts) }, handler);
}

function serverTimeouts(timeouts: ListenerTimeouts) {
  return {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    keepAliveTimeoutBuffer: KEEP_ALIVE_TIMEOUT_BUFFER_MS,
    connectionsCheckingInterval: CONNECTION_CHECK_INTERVAL_MS,
  };
}

/**
 * Listens on `port` (0 = any free port) of `host`; resolves the address, rejects with the listen
 * error (`EADDRINUSE`, `EACCES`, …) instead of leaving an `error` event unhandled.
 */
export async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  const failed = once(server, "error").then(([error]) => {
    throw error as Error;
  });
  server.listen(port, host);
  await Promise.race([once(server, "listening"), failed]);
  failed.catch(() => undefined);
  return server.address() as AddressInfo;
}

/**
 * Stops accepting, closes idle connections at once, and waits for requests in flight at most
 * `graceMs` before cutting the connections that remain.
 */
export async function closeServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = once(server, "close");
  server.close();
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(force);
  }
}

const CLIENT_GONE = new Set(["ERR_HTTP_REQUEST_TIMEOUT", "ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE"]);

/**
 * The `error` listener for a Koa app behind {@link createHttpServer}: a connection the listener cut
 * (a timeout) or the client dropped is one `info` line, anything else an `error` line; never Koa's
 * default of a stack trace on stderr.
 */
export function connectionErrorLogger(logger: Logger): (error: Error) => void {
  return (error) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && CLIENT_GONE.has(code)) logger.info({ err: { code, message: error.message } }, "client connection ended before its response");
    else logger.error({ err: error }, "request failed outside the error handler");
  };
}
