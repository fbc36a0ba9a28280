import type { Context } from "koa";
import type { AuthServerError } from "../errors.js";

/** Renders an {@link AuthServerError} as the JSON body and status a caller sees (no internals). */
export function sendError(ctx: Context, error: AuthServerError): void {
  ctx.status = error.status;
  ctx.set("Cache-Control", "no-store");
  ctx.body = error.toBody();
}
