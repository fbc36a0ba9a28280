import { fileURLToPath } from "node:url";
import { ConfigError } from "@gatehouse/service-kit";
import { describe, expect, it } from "vitest";
import { loadGatewayConfig, parseGatewayConfig } from "../src/config/load.js";

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

function problemsOf(file: string, env: NodeJS.ProcessEnv = {}): { path: string; message: string }[] {
  try {
    loadGatewayConfig(fixture(file), env);
  } catch (error) {
    if (error instanceof ConfigError) {
      expect(error.code).toBe("invalid_config");
      for (const line of error.message.split("\n")) expect(line.startsWith(fixture(file))).toBe(true);
      return error.problems.map((p) => ({ path: p.path, message: p.message }));
    }
    throw error;
  }
  throw new Error(`${file} was accepted`);
}

describe("loadGatewayConfig", () => {
  it("returns the validated config with every default filled in, frozen", () => {
    const config = loadGatewayConfig(fixture("good.yaml"), {});
    expect(config.routes[0]).toEqual({
      name: "orders",
      pathPrefix: "/api/orders",
      methods: ["GET", "POST"],
      public: false,
      upstreams: ["http://127.0.0.1:7001"],
      audience: "https://orders.internal",
      policy: { scopes: ["orders:read"], services: ["inventory"], attributes: { environment: "prod" }, boundTokens: false },
      rateLimit: { limit: 100, windowSeconds: 60 },
      stripPrefix: false,
      allowPathForms: [],
      forwardOverrideHeaders: false,
    });
    expect(config.rateLimiting).toEqual({
      failureMode: "local",
      replicas: 1,
      keyPrefix: "gatehouse:rl:",
      redisCommandTimeoutMs: 250,
      localMaxKeys: 100_000,
    });
    expect(config.realm).toBe("gatehouse");
    expect(Object.isFrozen(config.routes[1])).toBe(true);
  });

  it("lets GATEHOUSE_ISSUER and GATEHOUSE_JWKS_URI override the file", () => {
    const config = loadGatewayConfig(fixture("good.yaml"), {
      GATEHOUSE_ISSUER: "http://auth.internal:4000",
      GATEHOUSE_JWKS_URI: "http://auth.internal:4000/jwks",
    });
    expect(config.issuer).toBe("http://auth.internal:4000");
    expect(config.jwksUri).toBe("http://auth.internal:4000/jwks");
  });

  it("names the variable when an override is invalid", () => {
    expect(() => loadGatewayConfig(fixture("good.yaml"), { GATEHOUSE_ISSUER: "not a url" })).toThrow(
      `${fixture("good.yaml")} (with GATEHOUSE_ISSUER): issuer: Invalid URL`,
    );
  });

  it.each([
    ["unknown-key.yaml", [
      { path: "routes.0.rateLimit.windowSeconds", message: "Invalid input: expected number, received undefined" },
      { path: "routes.0.rateLimit.windowSecs", message: "unknown option (check the spelling against the documented options)" },
    ]],
    ["bad-upstream.yaml", [{ path: "routes.0.upstreams.1", message: "must be an http:// or https:// URL" }]],
    ["non-canonical-prefix.yaml", [{ path: "routes.0.pathPrefix", message: "must be a canonical path (no '//', dot segments, ';', backslash, or escapes of unreserved characters)" }]],
    ["trailing-slash-prefix.yaml", [{ path: "routes.0.pathPrefix", message: "must not end with '/' (prefixes match whole segments)" }]],
    ["missing-audience.yaml", [{ path: "routes.0.audience", message: "required unless the route is public" }]],
    ["public-without-limit.yaml", [{ path: "routes.0.rateLimit", message: "a public route needs a rate limit (it is applied per client IP)" }]],
    ["public-with-policy.yaml", [{ path: "routes.0.public", message: "a public route takes no token, so it cannot have an audience or a policy" }]],
    ["duplicate-route.yaml", [
      { path: "routes.1.name", message: "duplicates the name of routes.0" },
      { path: "routes.1.pathPrefix", message: "routes.0 already matches this prefix for the same methods" },
    ]],
    ["bad-failure-mode.yaml", [
      { path: "rateLimiting.failureMode", message: 'Invalid option: expected one of "open"|"closed"|"local"' },
      { path: "trustedProxies.1", message: "must be an IP address or CIDR block" },
    ]],
    ["no-routes.json", [{ path: "routes", message: "Too small: expected array to have >=1 items" }]],
  ])("rejects %s naming the file and the dotted path", (file, problems) => {
    expect(problemsOf(file)).toEqual(problems);
  });

  it("refuses a header timeout longer than the request timeout", () => {
    expect(() =>
      parseGatewayConfig(
        {
          issuer: "http://127.0.0.1:4000",
          listener: { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 },
          routes: [{ name: "a", pathPrefix: "/a", upstreams: ["http://127.0.0.1:1"], audience: "x" }],
        },
        "inline.yaml",
      ),
    ).toThrow("inline.yaml: listener.headersTimeoutMs: must not exceed requestTimeoutMs");
  });

  it("refuses a missing file by name", () => {
    expect(() => loadGatewayConfig(fixture("absent.yaml"), {})).toThrow(`${fixture("absent.yaml")}: file not found`);
  });
});
