// One service calls another: a token from the real auth server through authFetch, verified by requireService in a
// real Koa backend, which sees the caller's identity and attributes.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Koa from "koa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTokenSource, createVerifier, requireService, type GatehouseState, type TokenSource, type Verifier } from "@gatehouse/sdk";
import { INVENTORY, startRealAuthServer, type RealAuthServer } from "./helpers/auth-server.js";

let auth: RealAuthServer;
let verifier: Verifier;
let source: TokenSource;
let backend: Server;
let url: string;

beforeAll(async () => {
  auth = await startRealAuthServer();
  verifier = createVerifier({ issuer: auth.issuer });
  source = createTokenSource({ issuer: auth.issuer, clientId: "orders", auth: { method: "private_key_jwt", privateJwk: auth.ordersJwk } });
  const app = new Koa<GatehouseState>();
  app.use(requireService({ verifier, audience: INVENTORY, scopes: ["inventory:reserve"], services: ["orders"] }));
  app.use((ctx) => {
    const caller = ctx.state.gatehouse;
    ctx.body = { service: caller?.service, attributes: caller?.attributes };
  });
  backend = createServer(app.callback());
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/reservations`;
});

afterAll(async () => {
  source.close();
  verifier.close();
  await new Promise((resolve) => backend.close(resolve));
  await auth.close();
});

it("orders reserves stock at inventory with a token from the auth server, verified by the backend", async () => {
  const response = await source.authFetch(url, { resource: INVENTORY, scopes: ["inventory:reserve"], method: "POST" });
  expect({ status: response.status, body: await response.json() }).toEqual({
    status: 200,
    body: { service: "orders", attributes: { team: "checkout", environment: "prod" } },
  });
});

it("is refused with 403 insufficient_scope when it asks for too little", async () => {
  const response = await source.authFetch(url, { resource: INVENTORY, scopes: ["inventory:read"] });
  expect({ status: response.status, challenge: response.headers.get("www-authenticate"), body: await response.json() }).toEqual({
    status: 403,
    challenge: `Bearer realm="${INVENTORY}", error="insufficient_scope", error_description="the token lacks the scope inventory:reserve", scope="inventory:reserve"`,
    body: { error: "insufficient_scope", error_description: "the token lacks the scope inventory:reserve" },
  });
});
