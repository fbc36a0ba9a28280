import Router from "@koa/router";
import Koa from "koa";
import { createVerifier, requireService, type ServiceIdentity, type VerifiedToken, type Verifier } from "@gatehouse/sdk";
import { DEMO_ITEMS, Stock } from "./stock.js";
import { httpService, readJsonBody, type HttpService } from "@gatehouse/demo-kit";

export interface InventoryServiceOptions {
  /** The auth server whose keys sign the tokens this service accepts. */
  readonly issuer: string;
  /** This service's resource URI: the `aud` every accepted token must carry. */
  readonly audience: string;
  /** Services allowed to reserve stock (everyone with the scope when absent). */
  readonly reservers?: readonly string[];
  /** Mutual TLS: served to the gateway only (its SPIFFE ID), with this identity's certificate. */
  readonly identity?: ServiceIdentity;
  /** PEM file of the Gatehouse CA, for an HTTPS issuer (with `identity`). */
  readonly trustBundle?: string;
}

/**
 * The demo inventory service. It sits behind the gateway and still verifies every token itself
 * (signature, issuer, audience, scopes) with `@gatehouse/sdk`: a request that bypasses the gateway
 * gains nothing.
 */
export function createInventoryService(options: InventoryServiceOptions): HttpService {
  const { identity, trustBundle } = options;
  const verifier: Verifier = createVerifier({ issuer: options.issuer, audience: options.audience, ...(trustBundle === undefined ? {} : { trustBundle }) });
  const stock = new Stock(DEMO_ITEMS);
  const router = new Router({ prefix: "/api/inventory" });

  router.get("/items/:sku", requireService({ verifier, audience: options.audience, scopes: ["inventory:read"] }), (ctx) => {
    const item = stock.get(ctx.params["sku"] ?? "");
    if (item === undefined) {
      ctx.status = 404;
      ctx.body = { error: "not_found", error_description: "no such item" };
      return;
    }
    ctx.body = { item, servedTo: caller(ctx.state) };
  });

  router.post(
    "/reservations",
    requireService({
      verifier,
      audience: options.audience,
      scopes: ["inventory:reserve"],
      ...(options.reservers === undefined ? {} : { services: options.reservers }),
    }),
    async (ctx) => {
      const body = await readJsonBody(ctx.req);
      const sku = typeof body?.["sku"] === "string" ? body["sku"] : undefined;
      const quantity = typeof body?.["quantity"] === "number" ? body["quantity"] : undefined;
      if (sku === undefined || quantity === undefined || !Number.isInteger(quantity) || quantity < 1) {
        ctx.status = 400;
        ctx.body = { error: "invalid_request", error_description: "body must be {\"sku\": string, \"quantity\": positive integer}" };
        return;
      }
      const result = stock.reserve(sku, quantity, caller(ctx.state));
      if (result === "unknown_sku") {
        ctx.status = 404;
        ctx.body = { error: "not_found", error_description: "no such item" };
      } else if (result === "insufficient_stock") {
        ctx.status = 409;
        ctx.body = { error: "insufficient_stock", error_description: `not enough ${sku} on hand` };
      } else {
        ctx.status = 201;
        ctx.body = { reservation: result };
      }
    },
  );

  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  return httpService(app.callback(), () => verifier.close(), identity === undefined ? undefined : { identity, allow: ["gateway"] });
}

function caller(state: { gatehouse?: VerifiedToken }): string {
  return state.gatehouse?.service ?? "unknown";
}
