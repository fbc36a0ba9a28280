import type { Context } from "koa";
import { AuthServerError } from "../errors.js";

/**
 * Reads a JSON request body of at most `limit` bytes. A wrong content type, an oversized body or
 * invalid JSON is an `invalid_service` / `body_too_large` error, never a parser stack trace.
 */
export async function readJsonBody(ctx: Context, limit: number): Promise<unknown> {
  if (!ctx.is("application/json")) throw new AuthServerError("invalid_service", "the body must be application/json");
  const declared = ctx.request.length as number | undefined;
  if (declared !== undefined && declared > limit) throw new AuthServerError("body_too_large", `request body larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) throw new AuthServerError("body_too_large", `request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw new AuthServerError("invalid_service", "the body is not valid JSON");
  }
}
