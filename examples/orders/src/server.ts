import Router from "@koa/router";
import Koa from "koa";
import { createTokenSource, createVerifier, requireService, type ServiceIdentity, type TokenSource, type VerifiedToken } from "@gatehouse/sdk";
import { httpService, readJsonBody, type HttpService, type ServiceCredentials } from "@gatehouse/demo-kit";

export interface OrdersServiceOptions {
  /** Who orders is, and the key it proves that with (`private_key_jwt`). */
  readonly credentials: ServiceCredentials;
  /** The gateway through which orders calls inventory. */
  readonly gatewayUrl: string;
  /** The inventory service's resource URI: the audience of the tokens orders asks for. */
  readonly inventoryResource: string;
  /** Mutual TLS on every hop: served to the gateway only, tokens bound to this certificate, which it presents to the gateway. */
  readonly identity?: ServiceIdentity;
  /** PEM file of the Gatehouse CA, for an HTTPS issuer (with `identity`). */
  readonly trustBundle?: string;
}

interface Order {
  readonly id: string;
  readonly sku: string;
  readonly quantity: number;
  readonly status: "placed" | "reserved";
}

/**
 * The demo orders service. Callers reach it through the gateway; it verifies their token again, and
 * calls inventory through the gateway with a token of its own (audience = inventory).
 */
export function createOrdersService(options: OrdersServiceOptions): HttpService {
  const { credentials, identity, trustBundle } = options;
  const verifier = createVerifier({ issuer: credentials.issuer, audience: credentials.resource, ...(trustBundle === undefined ? {} : { trustBundle }) });
  const tokens: TokenSource = createTokenSource({
    issuer: credentials.issuer,
    clientId: credentials.clientId,
    auth: { method: "private_key_jwt", privateJwk: credentials.privateJwk },
    ...(identity === undefined ? {} : { identity }),
    ...(trustBundle === undefined ? {} : { trustBundle }),
  });
  const orders = new Map<string, Order>([["42", { id: "42", sku: "widget", quantity: 2, status: "placed" }]]);
  let nextId = 100;
  const inventory = (path: string, scopes: readonly string[], init: RequestInit = {}) =>
    tokens.authFetch(`${options.gatewayUrl}/api/inventory${path}`, { ...init, resource: options.inventoryResource, scopes });

  const router = new Router({ prefix: "/api/orders" });
  const guard = (scopes: readonly string[]) => requireService({ verifier, audience: credentials.resource, scopes });

  router.get("/:id", guard(["orders:read"]), async (ctx) => {
    const order = orders.get(ctx.params["id"] ?? "");
    if (order === undefined) {
      ctx.status = 404;
      ctx.body = { error: "not_found", error_description: "no such order" };
      return;
    }
    const upstream = await inventory(`/items/${encodeURIComponent(order.sku)}`, ["inventory:read"]);
    ctx.body = { order, inventory: await upstreamBody(upstream), requestedBy: caller(ctx.state) };
  });

  router.post("/", guard(["orders:write"]), async (ctx) => {
    const body = await readJsonBody(ctx.req);
    const sku = typeof body?.["sku"] === "string" ? body["sku"] : undefined;
    const quantity = typeof body?.["quantity"] === "number" ? body["quantity"] : undefined;
    if (sku === undefined || quantity === undefined) {
      ctx.status = 400;
      ctx.body = { error: "invalid_request", error_description: "body must be {\"sku\": string, \"quantity\": number}" };
      return;
    }
    const upstream = await inventory("/reservations", ["inventory:reserve"], {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sku, quantity }),
    });
    const reservation = await upstreamBody(upstream);
    if (!upstream.ok) {
      ctx.status = upstream.status === 409 || upstream.status === 404 ? upstream.status : 502;
      ctx.body = { error: "reservation_failed", error_description: "inventory refused the reservation", inventory: reservation };
      return;
    }
    const order: Order = { id: String(nextId++), sku, quantity, status: "reserved" };
    orders.set(order.id, order);
    ctx.status = 201;
    ctx.body = { order, reservation, requestedBy: caller(ctx.state) };
  });

  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  return httpService(
    app.callback(),
    () => {
      verifier.close();
      tokens.close();
    },
    identity === undefined ? undefined : { identity, allow: ["gateway"] },
  );
}

async function upstreamBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { status: response.status };
  }
}

function caller(state: { gatehouse?: VerifiedToken }): string {
  return state.gatehouse?.service ?? "unknown";
}
