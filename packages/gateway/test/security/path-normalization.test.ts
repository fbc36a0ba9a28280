import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "../helpers/backend.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { parseRaw, rawRequest } from "../helpers/http.js";

/**
 * Paths that backends normalise differently from the gateway (enforced in
 * `src/routes/canonical-path.ts` and `src/routes/match-step.ts`): a segment ending in `.`
 * (Windows and IIS trim it), encoded whitespace (trimmed by many frameworks), and non-ASCII that
 * NFKC or case mapping turns into something else (`／` → `/`, `ı` → `I`). A backend that trims or
 * normalises could route them to a handler the gateway never authorized, so they are refused
 * with 400 unless the route lists the form in `allowPathForms`. Raw request lines over sockets,
 * through a real gateway to a real backend. The older bypass tables (encoded separators, dot
 * segments, `;`, backslash, overlong UTF-8, letter case) are `test/canonical-path.test.ts`,
 * `test/route-table.test.ts` and the path rows of `test/proxy/forwarding.test.ts`.
 */
const TRAILING_DOT = "the path has a segment ending in '.'";
const WHITESPACE = "the path contains encoded whitespace";
const UNICODE = "the path contains non-ASCII characters that Unicode normalization (NFKC) or case mapping changes";
const CONTROL = "the path contains an encoded control character";

const publicRoute = (name: string, pathPrefix: string, upstreams: string[], extra: Record<string, unknown> = {}) => ({
  name,
  pathPrefix,
  public: true,
  upstreams,
  rateLimit: { limit: 100_000, windowSeconds: 60 },
  ...extra,
});

let backend: Backend;
let gw: RunningGateway;

beforeAll(async () => {
  backend = await startBackend("api");
  gw = await startGateway({
    routes: [
      publicRoute("api", "/api", [backend.url]),
      publicRoute("files", "/files", [backend.url], { allowPathForms: ["trailing-dot", "encoded-whitespace", "unstable-unicode"] }),
      publicRoute("names", "/names", [backend.url], { allowPathForms: ["encoded-whitespace"] }),
    ],
  });
});

afterAll(async () => {
  await gw.close();
  await backend.close();
});

async function get(target: string) {
  backend.seen.length = 0;
  return parseRaw(await rawRequest(gw.port, `GET ${target} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`));
}

describe("security: path forms that backends normalise", () => {
  it.each([
    ["trailing dot (IIS/Windows trim it)", "/api/admin.", TRAILING_DOT],
    ["encoded trailing dot", "/api/admin%2E", TRAILING_DOT],
    ["trailing dots", "/api/admin..", TRAILING_DOT],
    ["trailing dot on an inner segment", "/api/admin./users", TRAILING_DOT],
    ["encoded space at the end", "/api/admin%20", WHITESPACE],
    ["encoded space at the start", "/api/%20admin", WHITESPACE],
    ["encoded tab", "/api/admin%09", CONTROL],
    ["encoded vertical tab", "/api/admin%0B", CONTROL],
    ["encoded form feed", "/api/admin%0C", CONTROL],
    ["no-break space", "/api/admin%C2%A0", WHITESPACE],
    ["next line (NEL, Python strips it)", "/api/admin%C2%85", WHITESPACE],
    ["ideographic space", "/api/admin%E3%80%80", WHITESPACE],
    ["fullwidth solidus ／ (NFKC: /), as a traversal", "/api/orders%EF%BC%8F..%EF%BC%8Fadmin", UNICODE],
    ["fullwidth letter ａ (NFKC: a)", "/api/%EF%BD%81dmin", UNICODE],
    ["ligature ﬀ (NFKC: ff)", "/api/%EF%AC%80", UNICODE],
    ["roman numeral Ⅰ (NFKC: I)", "/api/%E2%85%A0", UNICODE],
    ["Kelvin sign K (NFKC: K)", "/api/%E2%84%AAey", UNICODE],
    ["dotless ı (upper case: I)", "/api/adm%C4%B1n", UNICODE],
    ["long ſ (upper case: S)", "/api/%C5%BFecret", UNICODE],
    ["sharp ß (upper case: SS)", "/api/stra%C3%9Fe", UNICODE],
    ["dotted İ (lower case: i̇)", "/api/%C4%B0d", UNICODE],
    ["decomposed ñ (NFKC composes it)", "/api/espan%CC%83a", UNICODE],
    ["soft hyphen (invisible, NFKC_Casefold drops it)", "/api/ad%C2%ADmin", UNICODE],
    ["zero-width space", "/api/ad%E2%80%8Bmin", UNICODE],
    ["right-to-left override", "/api/%E2%80%AEnimda", UNICODE],
  ])("refuses %s with 400, and the backend sees nothing", async (_name, target, description) => {
    const answer = await get(target);
    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(answer.body)).toEqual({ error: "invalid_request", error_description: description });
    expect(backend.seen).toEqual([]);
  });

  it.each([
    ["a dot inside a segment", "/api/v1.2/x"],
    ["stable non-ASCII (é, composed)", "/api/caf%C3%A9"],
    ["stable non-ASCII (CJK)", "/api/%E4%B8%AD%E6%96%87"],
    ["trailing dot on a route that allows it", "/files/report."],
    ["encoded space on a route that allows it", "/files/my%20report"],
    ["fullwidth solidus on a route that allows it", "/files/%EF%BC%8F"],
    ["encoded space on a route that allows only that", "/names/a%20b"],
  ])("forwards %s byte for byte", async (_name, target) => {
    const answer = await get(target);
    expect(answer.status).toBe(200);
    expect(backend.seen.map((s) => s.url)).toEqual([target]);
  });

  it("refuses a form the route does not list even when it allows another", async () => {
    const answer = await get("/names/a.");
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: "invalid_request", error_description: TRAILING_DOT });
    expect(backend.seen).toEqual([]);
  });
});
