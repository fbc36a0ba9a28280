import type { Context } from "koa";
import type { AuthServerError } from "../errors.js";

/**
 * Renders an {@link AuthServerError} as the JSON body, status and headers a caller sees (no
 * internals).
 */
export function sendError(ctx: Context, error: AuthServerError): void {
  ctx.status = error.status;
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.set("Cache-Control", "no-store");
  ctx.body = error.toBody();
}
