import { GatewayError } from "../errors.js";
import type { ClientAddressResolver } from "@gatehouse/service-kit";
import type { RouteTarget } from "../http/exchange.js";
import type { Step } from "../http/pipeline.js";
import { canonicalizeTarget, refusedPathForm } from "./canonical-path.js";
import type { RouteTable } from "./route-table.js";

/**
 * Canonicalizes the request path and matches it against the route table in force. The table is
 * read once per request through `table()`, so a reload swaps it atomically between requests.
 * A request with several `Host` headers is refused (400) rather than matched on one of them.
 * A path carrying a form backends may normalise (see `PATH_FORMS`) is refused (400) unless the
 * matched route lists it in `allowPathForms`.
 */
export function matchRouteStep(table: () => RouteTable<RouteTarget>, clients: ClientAddressResolver): Step {
  return (exchange) => {
    const req = exchange.req;
    const { path, query, forms } = canonicalizeTarget(req.url ?? "");
    exchange.path = path;
    exchange.query = query;
    const forwardedFor = req.headers["x-forwarded-for"];
    const client = clients.resolve(req.socket.remoteAddress, Array.isArray(forwardedFor) ? forwardedFor.join(", ") : forwardedFor);
    exchange.clientAddress = client.client;
    exchange.forwardedFor = client.forwardedFor;
    if (countHeader(req.rawHeaders, "host") > 1) throw new GatewayError("invalid_request", "the request has more than one Host header");
    const route = table().match(req.method ?? "GET", req.headers.host, path);
    exchange.route = route;
    if (forms !== 0) {
      const refused = refusedPathForm(forms, route.config.allowPathForms);
      if (refused !== undefined) throw refused;
    }
  };
}

/** How many times a header appears, from `rawHeaders` (Node joins or drops duplicates in `headers`). */
export function countHeader(raw: readonly string[], lowerName: string): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? "";
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) count++;
  }
  return count;
}
