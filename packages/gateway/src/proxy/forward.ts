import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import type { Dispatcher } from "undici";
import { GatewayError, isGatewayError } from "../errors.js";
import { relayResponseHeaders } from "./headers.js";
import type { UpstreamGroup, UpstreamTarget } from "./upstreams.js";

/** Responses up to this size are relayed in one socket write together with their headers. */
const SINGLE_WRITE_BYTES = 64 * 1024;

/** One request to forward. */
export interface ForwardRequest {
  readonly method: string;
  /** The forwarded path and query, appended to the target's base path (may be `""` or start with `?`). */
  readonly pathAndQuery: string;
  /** Flat `[name, value, …]` request headers (see `forwardRequestHeaders`). */
  readonly headers: readonly string[];
  readonly body: Readable | null;
  /** Flat headers the gateway adds to the relayed response (request id, rate-limit fields). */
  readonly responseHeaders: readonly string[];
}

/** What happened upstream, for the access log and metrics. */
export interface ForwardResult {
  readonly status: number;
  /** Milliseconds from dispatch to the upstream's response headers. */
  readonly upstreamMs: number;
  readonly target: string;
  /** The client went away or the upstream broke off after the response had started. */
  readonly aborted: boolean;
}

/**
 * Forwards a request to one of the group's targets with undici's `dispatch` and relays the
 * response to `res` itself: headers filtered (see `relayResponseHeaders`); a response that fits
 * in {@link SINGLE_WRITE_BYTES} is written with its headers in one `end()` call (one socket
 * write, `Content-Length` set), a larger one streams with backpressure.
 *
 * Failures before the response started reject with a {@link GatewayError}: connection refused,
 * reset or closed → 502 `bad_gateway`; connect timeout or no response headers in time → 504
 * `gateway_timeout`; a streamed request body over the limit → 413 `payload_too_large`. A target
 * that could not be connected to is marked unhealthy, and a GET/HEAD without body is tried once
 * more on another target. Non-idempotent requests are never retried. After the response started,
 * a failure can only cut the client's connection.
 */
export async function forward(group: UpstreamGroup, request: ForwardRequest, res: ServerResponse): Promise<ForwardResult> {
  const retryable = request.body === null && (request.method === "GET" || request.method === "HEAD") && group.targets.length > 1;
  let target = group.pick();
  try {
    return await dispatchOnce(target, request, res);
  } catch (error) {
    const failure = upstreamFailure(error);
    if (failure.connect) group.markFailed(target);
    if (!(failure.connect && retryable) || res.headersSent) throw failure.error;
    target = group.pick(target);
  }
  try {
    return await dispatchOnce(target, request, res);
  } catch (error) {
    const failure = upstreamFailure(error);
    if (failure.connect) group.markFailed(target);
    throw failure.error;
  }
}

function dispatchOnce(target: UpstreamTarget, request: ForwardRequest, res: ServerResponse): Promise<ForwardResult> {
  return new Promise<ForwardResult>((resolve, reject) => {
    const relay = new Relay(res, request, target.origin, resolve, reject);
    const path = target.basePath + request.pathAndQuery;
    target.pool.dispatch(
      {
        origin: target.origin,
        path: path === "" || path.startsWith("?") ? `/${path}` : path,
        method: request.method,
        headers: request.headers as string[],
        body: request.body,
      },
      relay,
    );
  });
}

class Relay implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;
  readonly #request: ForwardRequest;
  readonly #target: string;
  readonly #resolve: (result: ForwardResult) => void;
  readonly #reject: (error: unknown) => void;
  readonly #startedAt = performance.now();
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #upstreamMs = 0;
  #headers: string[] = [];
  #hasLength = false;
  #chunks: Buffer[] = [];
  #size = 0;
  #streaming = false;
  #settled = false;

  constructor(
    res: ServerResponse,
    request: ForwardRequest,
    target: string,
    resolve: (result: ForwardResult) => void,
    reject: (error: unknown) => void,
  ) {
    this.#res = res;
    this.#request = request;
    this.#target = target;
    this.#resolve = resolve;
    this.#reject = reject;
    res.once("close", this.#onClientClose);
  }

  readonly #onClientClose = (): void => {
    if (!this.#settled) this.#controller?.abort(new ClientClosedError());
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#res.destroyed) controller.abort(new ClientClosedError());
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    this.#status = statusCode;
    this.#upstreamMs = performance.now() - this.#startedAt;
    this.#hasLength = headers["content-length"] !== undefined;
    this.#headers = relayResponseHeaders(headers, []);
    for (const value of this.#request.responseHeaders) this.#headers.push(value);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const res = this.#res;
    if (this.#streaming) {
      if (!res.write(chunk)) {
        controller.pause();
        res.once("drain", () => controller.resume());
      }
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size > SINGLE_WRITE_BYTES) {
      this.#streaming = true;
      res.writeHead(this.#status, this.#headers);
      const body = Buffer.concat(this.#chunks, this.#size);
      this.#chunks = [];
      if (!res.write(body)) {
        controller.pause();
        res.once("drain", () => controller.resume());
      }
    }
  }

  onResponseEnd(): void {
    const res = this.#res;
    if (this.#streaming) {
      res.end();
    } else {
      const body = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#size);
      if (!this.#hasLength && !bodyless(this.#status, this.#request.method)) this.#headers.push("content-length", String(this.#size));
      res.writeHead(this.#status, this.#headers);
      res.end(body);
    }
    this.#settle();
    this.#resolve({ status: this.#status, upstreamMs: this.#upstreamMs, target: this.#target, aborted: false });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#settle();
    const res = this.#res;
    if (error instanceof ClientClosedError || res.headersSent) {
      if (!res.destroyed) res.destroy();
      this.#resolve({ status: this.#status === 0 ? 499 : this.#status, upstreamMs: this.#upstreamMs, target: this.#target, aborted: true });
      return;
    }
    this.#reject(error);
  }

  #settle(): void {
    this.#settled = true;
    this.#res.off("close", this.#onClientClose);
  }
}

function bodyless(status: number, method: string): boolean {
  return method === "HEAD" || status === 204 || status === 304;
}

/** The client closed its connection before the response was complete. */
class ClientClosedError extends Error {
  override readonly name = "ClientClosedError";
}

const CONNECT_FAILURES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

/** Maps an undici or body error to the gateway's answer, and whether the connection itself failed. */
function upstreamFailure(error: unknown): { error: GatewayError; connect: boolean } {
  if (isGatewayError(error)) return { error, connect: false };
  const code = (error as { code?: unknown } | null)?.code;
  const name = typeof code === "string" ? code : "";
  if (name === "UND_ERR_CONNECT_TIMEOUT") {
    return { error: new GatewayError("gateway_timeout", "the upstream did not accept a connection in time", { cause: error }), connect: true };
  }
  if (name === "UND_ERR_HEADERS_TIMEOUT" || name === "UND_ERR_BODY_TIMEOUT") {
    return { error: new GatewayError("gateway_timeout", "the upstream did not respond in time", { cause: error }), connect: false };
  }
  return {
    error: new GatewayError("bad_gateway", "the upstream could not be reached or broke off the response", { cause: error }),
    connect: CONNECT_FAILURES.has(name),
  };
}

/**
 * Passes a request body through while counting it; past `maxBytes` it fails the stream with
 * 413 `payload_too_large`, which aborts the upstream request. For bodies without
 * `Content-Length` (chunked); a declared length over the limit is refused before connecting.
 */
export class BodyLimit extends Transform {
  readonly #max: number;
  #seen = 0;

  constructor(maxBytes: number) {
    super();
    this.#max = maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#max) {
      done(new GatewayError("payload_too_large", `the request body is larger than ${String(this.#max)} bytes`));
      return;
    }
    done(null, chunk);
  }
}
