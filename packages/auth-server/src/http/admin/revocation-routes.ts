import type Router from "@koa/router";
import { ConfigError, validateConfig } from "@gatehouse/service-kit";
import { AuthServerError } from "../../errors.js";
import { revocationRequestSchema } from "../../revocation/entry.js";
import type { Revocations } from "../../revocation/revocations.js";
import { readJsonBody } from "../json-body.js";
import type { AdminActor } from "./admin-auth.js";

/**
 * `POST /admin/revocations` with one of `{ "jti": … }`, `{ "service": id }`, `{ "kid": … }` (and an
 * optional `reason`): 201 with the entry and its feed id. A malformed body, an unknown service or
 * key → 400 `invalid_revocation` naming the field. `GET /admin/revocations`: the active entries,
 * with who made each and why, and the feed id the list is complete up to.
 */
export function revocationRoutes(router: Router, revocations: Revocations, bodyLimitBytes: number): void {
  router.post("/revocations", async (ctx) => {
    const body = await readJsonBody(ctx, bodyLimitBytes);
    let request;
    try {
      request = validateConfig("revocation", body, revocationRequestSchema);
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new AuthServerError("invalid_revocation", error.problems.map((p) => `${p.path === "" ? "" : `${p.path}: `}${p.message}`).join("; "));
      }
      throw error;
    }
    const actor = (ctx.state as { admin?: AdminActor }).admin?.actor ?? "unknown";
    const added = await revocations.revoke(request, actor);
    ctx.status = 201;
    ctx.set("Cache-Control", "no-store");
    ctx.body = { id: added.id, ...added.revocation, actor: added.actor, ...(added.reason === undefined ? {} : { reason: added.reason }) };
  });

  router.get("/revocations", async (ctx) => {
    const { id, records } = await revocations.list();
    ctx.set("Cache-Control", "no-store");
    ctx.body = {
      feedId: id,
      revocations: records.map((r) => ({ ...r.revocation, actor: r.actor, cause: r.cause, ...(r.reason === undefined ? {} : { reason: r.reason }) })),
    };
  });
}
