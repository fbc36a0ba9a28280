/**
 * The same check as `requireService` for a plain `node:http` server.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { VerifiedToken } from "../verifier/types.js";
import { queryOf } from "../rules/bearer-header.js";
import { authenticate, checkOptions, type RequireServiceOptions } from "./authenticate.js";

const checked = new WeakSet<RequireServiceOptions>();

/**
 * Authenticates a `node:http` request like `requireService`: resolves with the {@link VerifiedToken} when the
 * request may proceed; otherwise it has written the 400/401/403/503 JSON answer (with `WWW-Authenticate` per
 * RFC 6750 §3) to `res` and resolves with `undefined`.
 *
 * Pass the same options object on every call: a verifier made from `verifierOptions` is created once per object.
 *
 * @example
 * const caller = await authenticateRequest(req, res, { verifier, audience: "https://inventory.internal" });
 * if (caller === undefined) return;
 */
export async function authenticateRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: RequireServiceOptions,
): Promise<VerifiedToken | undefined> {
  if (!checked.has(options)) {
    checkOptions(options);
    checked.add(options);
  }
  const result = await authenticate(req.rawHeaders, options, queryOf(req.url), req.socket);
  if (result.ok) return result.token;
  const body = JSON.stringify(result.failure.body);
  res.writeHead(result.failure.status, { ...result.failure.headers, "content-length": Buffer.byteLength(body) });
  res.end(body);
  return undefined;
}
