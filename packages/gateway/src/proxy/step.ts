import { pipeline, type Readable } from "node:stream";
import { GatewayError } from "../errors.js";
import type { Step } from "../http/pipeline.js";
import { forwardedPath } from "../routes/route-table.js";
import { BodyLimit, forward } from "./forward.js";
import { forwardRequestHeaders } from "./headers.js";

/**
 * The last step: forwards the request to the route's upstreams with the gateway's headers (see
 * `forwardRequestHeaders`) and the canonical path (minus the prefix when `stripPrefix`), and
 * relays the answer. A declared `Content-Length` over `maxBodyBytes` is refused with 413 before
 * anything reaches the backend; a chunked body is counted on the way and cut at the limit. A
 * client waiting on `Expect: 100-continue` is told to send its body here, once every check passed.
 */
export function proxyStep(options: { readonly maxBodyBytes: number }): Step {
  const max = options.maxBodyBytes;
  return (exchange) => {
    const route = exchange.route;
    if (route === undefined) throw new GatewayError("server_error", "no route was matched");
    const req = exchange.req;
    const length = req.headers["content-length"];
    let body: Readable | null = null;
    if (length !== undefined) {
      if (Number(length) > max) throw new GatewayError("payload_too_large", `the request body is larger than ${String(max)} bytes`);
      if (length !== "0") body = req;
    } else if (req.headers["transfer-encoding"] !== undefined) {
      body = pipeline(req, new BodyLimit(max), () => undefined);
    }
    if (body !== null && req.headers.expect !== undefined) {
      exchange.res.writeContinue();
      exchange.continued = true;
    }
    const token = exchange.token;
    const headers = forwardRequestHeaders(req.rawHeaders, {
      requestId: exchange.requestId,
      forwardedFor: exchange.forwardedFor,
      forwardedProto: "encrypted" in req.socket ? "https" : "http",
      forwardedHost: req.headers.host,
      identity: token === undefined ? undefined : { service: token.service, scopes: token.scopes.join(" ") },
      forwardOverrides: route.config.forwardOverrideHeaders,
    });
    return forward(
      route.target.upstream,
      {
        method: req.method ?? "GET",
        pathAndQuery: forwardedPath(route, exchange.path) + exchange.query,
        headers,
        body,
        responseHeaders: exchange.responseHeaders,
      },
      exchange.res,
    ).then((result) => {
      exchange.status = result.status;
      exchange.upstreamMs = result.upstreamMs;
    });
  };
}
