import { randomUUID } from "node:crypto";
import type { Step } from "./pipeline.js";

/** An incoming `X-Request-Id` is kept only when it looks like an id: 1–128 of these characters. */
const VALID_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/**
 * Gives every request an id: the client's `X-Request-Id` when it is well-formed, else a new
 * UUID. It is forwarded upstream, echoed on the response, and names the request in logs. While
 * the gateway drains, responses also carry `Connection: close`.
 */
export function requestIdStep(draining: () => boolean): Step {
  return (exchange) => {
    const incoming = exchange.req.headers["x-request-id"];
    exchange.requestId = typeof incoming === "string" && VALID_ID.test(incoming) ? incoming : randomUUID();
    exchange.responseHeaders.push("x-request-id", exchange.requestId);
    if (draining()) exchange.responseHeaders.push("connection", "close");
  };
}
