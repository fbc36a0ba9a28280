import type { Logger } from "@gatehouse/service-kit";
import { errorBody, GatewayError, isGatewayError } from "../errors.js";
import type { Exchange } from "./exchange.js";
import { closeAfterUnreadBody } from "./unread-body.js";

/**
 * The outermost handler: renders any error as the gateway's JSON answer
 * `{ "error": code, "error_description": … }` with the error's own headers (`WWW-Authenticate`,
 * `Retry-After`, `Allow`, rate-limit fields) and the request id. Anything that is not a
 * `GatewayError` is a bug: logged with its stack, answered as a bare 500 `server_error` without
 * internals. When the response had already started, the connection is cut instead.
 *
 * An answer given while the request body is still arriving says `Connection: close`, and the
 * connection closes after at most `maxBodyBytes` more of the body (see `closeAfterUnreadBody`),
 * so a refused client cannot keep the gateway reading.
 */
export function createErrorResponder(logger: Logger, options: { readonly maxBodyBytes: number }): (exchange: Exchange, error: unknown) => void {
  const maxBodyBytes = options.maxBodyBytes;
  return (exchange, error) => {
    let gatewayError: GatewayError;
    if (isGatewayError(error)) {
      gatewayError = error;
      if (gatewayError.status >= 500) {
        logger.warn({ requestId: exchange.requestId, code: gatewayError.code, err: causeOf(gatewayError) }, gatewayError.description);
      }
    } else {
      logger.error({ requestId: exchange.requestId, err: error }, "unexpected error in the request pipeline");
      gatewayError = new GatewayError("server_error", "unexpected error");
    }
    exchange.status = gatewayError.status;
    exchange.decision = gatewayError.code;
    const res = exchange.res;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = errorBody(gatewayError);
    const headers = exchange.responseHeaders.slice();
    for (const [name, value] of Object.entries(gatewayError.headers)) headers.push(name, value);
    headers.push(
      "content-type",
      "application/json; charset=utf-8",
      "content-length",
      String(Buffer.byteLength(body)),
      "cache-control",
      "no-store",
    );
    const req = exchange.req;
    const unread = !req.complete;
    if (unread && !headers.includes("connection")) headers.push("connection", "close");
    res.writeHead(gatewayError.status, headers);
    // Node closes at once after the answer when the body was cut off by the body limit (it can no
    // longer be drained) or was never asked for (`Expect: 100-continue` without `100 Continue`).
    if (!unread || req.destroyed || (req.headers.expect !== undefined && !exchange.continued)) {
      res.end(body);
      return;
    }
    res.write(body);
    closeAfterUnreadBody(req, res, maxBodyBytes);
  };
}

function causeOf(error: GatewayError): { message: string; code?: string } | undefined {
  const cause = error.cause;
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === "string" ? { message: cause.message, code } : { message: cause.message };
}
