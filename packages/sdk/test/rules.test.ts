// The rules every component applies the same way (the gateway and the SDK middleware import these): the bearer
// header parser (RFC 6750 §2.1) and the route policy evaluator, as tables.
import { describe, expect, it } from "vitest";
import { BEARER_PROBLEMS, compilePolicy, evaluatePolicy, queryOf, readBearerToken, staticCredentialMatcher, type ServicePolicy } from "../src/index.js";

const TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvcmRlcnMifQ.c2ln";

describe("readBearerToken (RFC 6750 §2.1)", () => {
  it.each<[string, readonly string[], string, string]>([
    ["a Bearer header", ["Authorization", `Bearer ${TOKEN}`], "", TOKEN],
    ["the scheme in any case", ["authorization", `bEaReR ${TOKEN}`], "", TOKEN],
    ["padding and every b64token character", ["AUTHORIZATION", "Bearer aZ09-._~+/=="], "", "aZ09-._~+/=="],
    ["surrounding spaces", ["Authorization", `Bearer   ${TOKEN}  `], "", TOKEN],
    ["other headers around it", ["Host", "x", "Authorization", `Bearer ${TOKEN}`, "Accept", "*/*"], "", TOKEN],
    ["an unrelated query", ["Authorization", `Bearer ${TOKEN}`], "page=2&token=3", TOKEN],
    ["no Authorization header", ["Host", "x"], "", "missing"],
    ["no headers at all", [], "", "missing"],
    ["another scheme", ["Authorization", "Basic b3JkZXJzOnNlY3JldA=="], "", "missing"],
    ["a scheme that only starts with Bearer", ["Authorization", `Bearerx ${TOKEN}`], "", "missing"],
    ["Bearer without a value", ["Authorization", "Bearer"], "", "malformed"],
    ["Bearer with only spaces", ["Authorization", "Bearer    "], "", "malformed"],
    ["a value with a space inside", ["Authorization", "Bearer a b"], "", "malformed"],
    ["a value with a character outside b64token", ["Authorization", "Bearer a,b"], "", "malformed"],
    ["padding in the middle", ["Authorization", "Bearer a=b"], "", "malformed"],
    ["two Authorization headers", ["Authorization", `Bearer ${TOKEN}`, "authorization", `Bearer ${TOKEN}`], "", "duplicate"],
    ["a second, empty Authorization header", ["Authorization", `Bearer ${TOKEN}`, "Authorization", ""], "", "duplicate"],
    ["an access_token query parameter beside a valid header", ["Authorization", `Bearer ${TOKEN}`], `access_token=${TOKEN}`, "query"],
    ["an escaped access_token query parameter", [], "a=1&access%5Ftoken=x", "query"],
    ["a query with its leading ?", [], "?access_token=x", "query"],
    ["a query parameter that only contains the name", ["Authorization", `Bearer ${TOKEN}`], "my_access_token=x", TOKEN],
  ])("%s", (_name, rawHeaders, query, expected) => {
    // `expected` is the token, or the BearerProblemKind.
    const result = readBearerToken(rawHeaders, query);
    expect(typeof result === "string" ? result : result.problem).toBe(expected);
  });

  it("describes each problem once, with its RFC 6750 §3.1 code, and returns the same object every time", () => {
    expect(BEARER_PROBLEMS).toEqual({
      missing: { problem: "missing", code: "invalid_token", description: "a Bearer access token is required" },
      malformed: { problem: "malformed", code: "invalid_request", description: "the Authorization header is not a valid Bearer token" },
      duplicate: { problem: "duplicate", code: "invalid_request", description: "the request has more than one Authorization header" },
      query: {
        problem: "query",
        code: "invalid_request",
        description: "access tokens are accepted only in the Authorization header, not in the query string",
      },
    });
    expect(readBearerToken([])).toBe(BEARER_PROBLEMS.missing);
    expect(Object.isFrozen(BEARER_PROBLEMS.missing)).toBe(true);
  });

  it.each([
    [undefined, ""],
    ["/stock", ""],
    ["/stock?", ""],
    ["/stock?a=1&b=2", "a=1&b=2"],
    ["/stock?a=1?b", "a=1?b"],
  ])("queryOf(%s) is %j", (target, expected) => {
    expect(queryOf(target)).toBe(expected);
  });
});

describe("evaluatePolicy: scopes, then services, then attributes", () => {
  const caller = { service: "orders", scopes: ["inventory:read", "inventory:reserve"], attributes: { team: "checkout", environment: "prod" } };

  it.each<[string, ServicePolicy, typeof caller, string | undefined]>([
    ["an empty policy", {}, caller, undefined],
    ["every required scope present", { scopes: ["inventory:read", "inventory:reserve"] }, caller, undefined],
    ["a missing scope, the first one named", { scopes: ["inventory:read", "inventory:write", "inventory:admin"] }, caller, "the token lacks the scope inventory:write"],
    ["a caller among the services", { services: ["billing", "orders"] }, caller, undefined],
    ["a caller not among the services", { services: ["billing"] }, caller, "the service orders may not call this resource"],
    ["an empty list of services", { services: [] }, caller, "the service orders may not call this resource"],
    ["every attribute with its value", { attributes: { team: "checkout", environment: "prod" } }, caller, undefined],
    ["an attribute with another value", { attributes: { environment: "staging" } }, caller, "the caller's attribute environment does not have the required value"],
    ["an attribute the caller does not have", { attributes: { region: "eu" } }, caller, "the caller's attribute region does not have the required value"],
    ["an attribute only the prototype has", { attributes: { toString: "x" } }, caller, "the caller's attribute toString does not have the required value"],
    ["a required empty value the caller does not have", { attributes: { region: "" } }, caller, "the caller's attribute region does not have the required value"],
    ["a scope denial before a service denial", { scopes: ["inventory:write"], services: ["billing"] }, caller, "the token lacks the scope inventory:write"],
    [
      "a service denial before an attribute denial",
      { services: ["billing"], attributes: { environment: "staging" } },
      caller,
      "the service orders may not call this resource",
    ],
    [
      "a scope denial before an attribute denial",
      { scopes: ["inventory:write"], attributes: { environment: "staging" } },
      caller,
      "the token lacks the scope inventory:write",
    ],
    [
      "everything satisfied",
      { scopes: ["inventory:read"], services: ["orders"], attributes: { environment: "prod" } },
      caller,
      undefined,
    ],
  ])("%s", (_name, policy, token, expected) => {
    expect(evaluatePolicy(compilePolicy(policy), token)).toBe(expected);
  });

  it("compiles a frozen copy: changing the source policy later changes nothing", () => {
    const scopes = ["inventory:read"];
    const compiled = compilePolicy({ scopes });
    scopes.push("inventory:write");
    expect(evaluatePolicy(compiled, caller)).toBeUndefined();
    expect(Object.isFrozen(compiled) && Object.isFrozen(compiled.scopes) && Object.isFrozen(compiled.attributes)).toBe(true);
  });
});

describe("staticCredentialMatcher", () => {
  it("accepts exactly the credential: not a prefix, an extension, another case or the empty string", () => {
    const matches = staticCredentialMatcher("s3cret-admin-credential-0123456789abcdef");
    expect(matches("s3cret-admin-credential-0123456789abcdef")).toBe(true);
    for (const other of ["s3cret-admin-credential-0123456789abcde", "s3cret-admin-credential-0123456789abcdef0", "S3CRET-admin-credential-0123456789abcdef", ""]) {
      expect(matches(other), other).toBe(false);
    }
  });
});
