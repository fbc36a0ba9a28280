import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "../helpers/backend.js";
import { startAuthServer } from "../helpers/estate.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { parseRaw, rawRequest } from "../helpers/http.js";

/**
 * Header ownership (enforced in `src/proxy/headers.ts`, query tokens in `src/auth/bearer.ts`):
 * the backend never receives a client header that a CGI/WSGI or nginx backend would read as
 * one of the gateway's own (`_` and `-` alike, any case), nor a method or path override unless
 * the route asks for them; and a token in the query is refused however its name is spelled.
 * Everything goes through a real gateway to a real backend that records the raw header lines.
 */
const ORDERS = "https://orders.internal";

/** What `x_Gatehouse-SERVICE` means to a backend that maps `_` to `-` and ignores case. */
const folded = (name: string) => name.toLowerCase().replaceAll("_", "-");

/** The raw `[name, value]` lines the backend received whose folded name is `name`. */
function linesFor(raw: readonly string[], name: string): [string, string][] {
  const lines: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (folded(raw[i] ?? "") === name) lines.push([raw[i] ?? "", raw[i + 1] ?? ""]);
  return lines;
}

let auth: Awaited<ReturnType<typeof startAuthServer>>;
let backend: Backend;
let gw: RunningGateway;
let token: string;

beforeAll(async () => {
  auth = await startAuthServer();
  backend = await startBackend("orders");
  gw = await startGateway({
    issuer: auth.issuer,
    routes: [
      { name: "orders", pathPrefix: "/api/orders", upstreams: [backend.url], audience: ORDERS },
      { name: "legacy", pathPrefix: "/api/legacy", upstreams: [backend.url], audience: ORDERS, forwardOverrideHeaders: true },
    ],
  });
  token = await auth.token("inventory", ORDERS, ["orders:read"]);
});

afterAll(async () => {
  await gw.close();
  await backend.close();
  await auth.close();
});

/** Sends a raw request with the token and `lines` as extra header lines; returns the raw headers the backend saw. */
async function forwarded(target: string, lines: readonly string[]): Promise<readonly string[]> {
  backend.seen.length = 0;
  const raw = await rawRequest(
    gw.port,
    `GET ${target} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\n${lines.map((l) => `${l}\r\n`).join("")}\r\n`,
  );
  expect(parseRaw(raw).status).toBe(200);
  expect(backend.seen).toHaveLength(1);
  return backend.seen[0]?.rawHeaders ?? [];
}

describe("security: headers that normalise to the gateway's own", () => {
  it("drops underscore and mixed spellings of owned headers; the backend sees only the gateway's values", async () => {
    const raw = await forwarded("/api/orders", [
      "x_gatehouse_service: admin",
      "X_Gatehouse_Scopes: orders:admin",
      "x-gatehouse_service: admin",
      "x_forwarded_for: 10.9.9.9",
      "X_Forwarded-Host: evil.example",
      "x-forwarded_proto: https",
      "x_request_id: forged-id",
      "X_REAL_IP: 10.9.9.9",
      "proxy_authorization: Basic Zm9vOmJhcg==",
      "x_gatehouse_anything: 1",
    ]);
    expect(linesFor(raw, "x-gatehouse-service")).toEqual([["x-gatehouse-service", "inventory"]]);
    expect(linesFor(raw, "x-gatehouse-scopes")).toEqual([["x-gatehouse-scopes", "orders:read"]]);
    expect(linesFor(raw, "x-forwarded-for")).toEqual([["x-forwarded-for", "127.0.0.1"]]);
    expect(linesFor(raw, "x-forwarded-host")).toEqual([["x-forwarded-host", "gw"]]);
    expect(linesFor(raw, "x-forwarded-proto")).toEqual([["x-forwarded-proto", "http"]]);
    expect(linesFor(raw, "x-request-id")).toHaveLength(1);
    expect(linesFor(raw, "x-request-id")[0]?.[1]).not.toBe("forged-id");
    for (const name of ["x-real-ip", "proxy-authorization", "x-gatehouse-anything"]) expect(linesFor(raw, name)).toEqual([]);
  });

  it("forwards underscore headers that do not normalise to an owned name, as sent", async () => {
    const raw = await forwarded("/api/orders", ["x_tenant_id: acme", "X-Trace_Hint: 7"]);
    expect(linesFor(raw, "x-tenant-id")).toEqual([["x_tenant_id", "acme"]]);
    expect(linesFor(raw, "x-trace-hint")).toEqual([["x-trace_hint", "7"]]);
  });
});

describe("security: method and path override headers", () => {
  const overrides = [
    "X-HTTP-Method-Override: DELETE",
    "X-HTTP-Method: DELETE",
    "X-Method-Override: DELETE",
    "X-Original-URL: /api/admin",
    "X-Original-URI: /api/admin",
    "X-Rewrite-URL: /api/admin",
    "x_http_method_override: DELETE",
  ];
  const names = ["x-http-method-override", "x-http-method", "x-method-override", "x-original-url", "x-original-uri", "x-rewrite-url"];

  it("are dropped by default", async () => {
    const raw = await forwarded("/api/orders/1", overrides);
    for (const name of names) expect(linesFor(raw, name), name).toEqual([]);
  });

  it("are forwarded on a route with forwardOverrideHeaders", async () => {
    const raw = await forwarded("/api/legacy/1", overrides);
    expect(linesFor(raw, "x-http-method-override")).toEqual([
      ["x-http-method-override", "DELETE"],
      ["x_http_method_override", "DELETE"],
    ]);
    for (const name of names.slice(1)) expect(linesFor(raw, name), name).toHaveLength(1);
  });
});

describe("security: a token in the query string, however the name is spelled", () => {
  const description = "access tokens are accepted only in the Authorization header, not in the query string";

  it.each([
    ["plain", "?access_token=x"],
    ["escaped letter", "?%61ccess_token=x"],
    ["escaped underscore", "?access%5Ftoken=x"],
    ["all escaped", "?%61%63%63%65%73%73%5f%74%6f%6b%65%6e=x"],
    ["upper case", "?ACCESS_TOKEN=x"],
    ["mixed case", "?Access_Token=x"],
    ["dot (PHP reads it as _)", "?access.token=x"],
    ["plus (a space, PHP reads it as _)", "?access+token=x"],
    ["encoded space", "?access%20token=x"],
    ["encoded bracket (PHP reads it as _)", "?access%5Btoken=x"],
    ["leading plus", "?+access_token=x"],
    ["after a ';' separator", "?page=1;access_token=x"],
    ["second parameter", "?page=1&%61ccess_token=x"],
  ])("refuses %s with 400 invalid_request, and the backend sees nothing", async (_name, query) => {
    backend.seen.length = 0;
    const raw = await rawRequest(gw.port, `GET /api/orders${query} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    const answer = parseRaw(raw);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: "invalid_request", error_description: description });
    expect(answer.headers["www-authenticate"]).toBe(`Bearer realm="gatehouse", error="invalid_request", error_description="${description}"`);
    expect(backend.seen).toEqual([]);
  });

  it.each([
    ["the name as a value", "?q=access_token"],
    ["a longer name", "?access_tokens=1"],
    ["an unrelated escape", "?q=%2F"],
  ])("forwards %s", async (_name, query) => {
    await forwarded(`/api/orders${query}`, []);
    expect(backend.seen[0]?.url).toBe(`/api/orders${query}`);
  });
});
