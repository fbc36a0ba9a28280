import { describe, expect, it } from "vitest";
import { parseGatewayConfig } from "../src/config/load.js";
import { isGatewayError } from "../src/errors.js";
import { canonicalizeTarget } from "../src/routes/canonical-path.js";
import { forwardedPath, RouteTable } from "../src/routes/route-table.js";

const config = parseGatewayConfig({
  issuer: "http://127.0.0.1:4000",
  routes: [
    { name: "catch-all", pathPrefix: "/", upstreams: ["http://127.0.0.1:7000"], audience: "https://web.internal" },
    { name: "orders-read", pathPrefix: "/api/orders", methods: ["GET"], upstreams: ["http://127.0.0.1:7001"], audience: "https://orders.internal" },
    { name: "orders-write", pathPrefix: "/api/orders", methods: ["POST", "PUT"], upstreams: ["http://127.0.0.1:7001"], audience: "https://orders.internal" },
    { name: "admin", pathPrefix: "/api/admin", upstreams: ["http://127.0.0.1:7002"], audience: "https://admin.internal" },
    { name: "admin-eu", pathPrefix: "/api/admin", host: "eu.example.com", upstreams: ["http://127.0.0.1:7003"], audience: "https://admin.internal" },
    { name: "only-eu", pathPrefix: "/eu", host: "eu.example.com", upstreams: ["http://127.0.0.1:7003"], audience: "https://admin.internal" },
    { name: "token", pathPrefix: "/auth/token", public: true, stripPrefix: true, upstreams: ["http://127.0.0.1:4000/token"], rateLimit: { limit: 5, windowSeconds: 1 } },
  ],
});
const table = new RouteTable(config.routes, (route) => route.name);

function route(method: string, target: string, host?: string): string {
  return table.match(method, host, canonicalizeTarget(target).path).name;
}

function failure(method: string, target: string, host?: string): unknown {
  try {
    table.match(method, host, canonicalizeTarget(target).path);
  } catch (error) {
    if (isGatewayError(error)) return { code: error.code, status: error.status, description: error.description, headers: error.headers };
    throw error;
  }
  throw new Error("matched");
}

describe("RouteTable", () => {
  it("matches the longest prefix by whole segments", () => {
    expect(route("GET", "/api/orders")).toBe("orders-read");
    expect(route("GET", "/api/orders/")).toBe("orders-read");
    expect(route("GET", "/api/orders/1/lines")).toBe("orders-read");
    expect(route("GET", "/api/ordersX")).toBe("catch-all");
    expect(route("GET", "/api")).toBe("catch-all");
    expect(route("GET", "/")).toBe("catch-all");
  });

  it("picks among routes of one prefix by method", () => {
    expect(route("POST", "/api/orders/1")).toBe("orders-write");
    expect(route("PUT", "/api/orders")).toBe("orders-write");
  });

  it("answers 405 with Allow instead of falling through to a looser shorter prefix", () => {
    expect(failure("DELETE", "/api/orders/1")).toEqual({
      code: "method_not_allowed",
      status: 405,
      description: "this route does not accept DELETE",
      headers: { allow: "GET, POST, PUT" },
    });
  });

  it("prefers a route for the request's host, ignoring port and case", () => {
    expect(route("GET", "/api/admin/users", "EU.example.com:8443")).toBe("admin-eu");
    expect(route("GET", "/api/admin/users", "us.example.com")).toBe("admin");
    expect(route("GET", "/api/admin/users")).toBe("admin");
    expect(route("GET", "/eu/x", "eu.example.com")).toBe("only-eu");
    expect(route("GET", "/eu/x", "us.example.com")).toBe("catch-all");
  });

  it.each([
    ["upper-case segment", "/API/admin/users"],
    ["mixed case", "/api/Admin"],
    ["encoded upper-case letter", "/api/%41dmin"],
  ])("refuses a path that reaches a stricter route only when case is ignored (%s)", (_name, target) => {
    expect(failure("GET", target)).toEqual({
      code: "invalid_request",
      status: 400,
      description: "the path matches a route only when letter case is ignored",
      headers: {},
    });
  });

  it("answers 404 when nothing matches", () => {
    const only = new RouteTable(config.routes.filter((r) => r.name === "admin"), (r) => r.name);
    expect(() => only.match("GET", undefined, "/api/other")).toThrow("no route matches this path");
  });

  it("strips the prefix when the route asks for it, keeping a leading slash", () => {
    const token = table.match("POST", undefined, "/auth/token");
    expect(forwardedPath(token, "/auth/token")).toBe("");
    expect(forwardedPath(token, "/auth/token/x")).toBe("/x");
    const orders = table.match("GET", undefined, "/api/orders/1");
    expect(forwardedPath(orders, "/api/orders/1")).toBe("/api/orders/1");
  });
});
