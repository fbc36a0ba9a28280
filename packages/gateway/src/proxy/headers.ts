import type { IncomingHttpHeaders } from "node:http";

/**
 * Request headers never forwarded: hop-by-hop fields (RFC 9110 §7.6.1) and the ones the gateway
 * owns or that only make sense on the client's connection.
 */
const DROPPED_REQUEST = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "expect",
  "forwarded",
  "x-request-id",
  "x-real-ip",
]);

/**
 * Method and path override fields: a backend that honours them runs another method or path than
 * the one the gateway matched and authorized. Dropped unless the route sets
 * `forwardOverrideHeaders`.
 */
const OVERRIDE_REQUEST = new Set([
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
  "x-original-url",
  "x-original-uri",
  "x-rewrite-url",
]);

/** Response headers never relayed to the client (hop-by-hop, RFC 9110 §7.6.1). */
const DROPPED_RESPONSE = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

/** What the gateway adds to every forwarded request. */
export interface ForwardContext {
  readonly requestId: string;
  readonly forwardedFor: string;
  readonly forwardedProto: string;
  readonly forwardedHost: string | undefined;
  /** The verified caller; absent on public routes. */
  readonly identity: { readonly service: string; readonly scopes: string } | undefined;
  /** Forward the method and path override fields (the route's `forwardOverrideHeaders`). */
  readonly forwardOverrides: boolean;
}

/**
 * Builds the forwarded request headers from the client's raw headers, as a flat
 * `[name, value, …]` list. Removed: hop-by-hop fields and every field named in `Connection`,
 * `Trailer`, `TE`, `Upgrade`, `Expect`, `Host` (the upstream's is used), every `Proxy-*`, every
 * client-sent `x-gatehouse-*`, `X-Forwarded-*`, `Forwarded`, `X-Real-IP` and `X-Request-Id`,
 * and (unless `forwardOverrides`) the method and path override fields. Names are compared with
 * `_` read as `-` and case ignored, so `x_gatehouse_service` or `X_Forwarded-For` (which CGI,
 * WSGI or nginx with `underscores_in_headers` map onto the owned name) are dropped too.
 * Then the gateway's own are appended: `X-Forwarded-For`/`-Proto`/`-Host`, `X-Request-Id`, and
 * for a verified caller `x-gatehouse-service` and `x-gatehouse-scopes`. Those are appended after
 * filtering, so a `Connection: x-gatehouse-service` trick cannot remove them, and
 * `Authorization` is forwarded even when `Connection` names it (the bearer was verified and
 * backends verify it again). `traceparent`/`tracestate` pass through untouched.
 */
export function forwardRequestHeaders(raw: readonly string[], context: ForwardContext): string[] {
  const listed = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? "").toLowerCase();
    const owned = name.includes("_") ? name.replaceAll("_", "-") : name;
    if (DROPPED_REQUEST.has(owned)) continue;
    if (owned.startsWith("x-gatehouse-") || owned.startsWith("x-forwarded-") || owned.startsWith("proxy-")) continue;
    if (!context.forwardOverrides && OVERRIDE_REQUEST.has(owned)) continue;
    if (listed !== undefined && listed.has(name) && name !== "authorization") continue;
    out.push(name, raw[i + 1] ?? "");
  }
  out.push("x-forwarded-for", context.forwardedFor, "x-forwarded-proto", context.forwardedProto);
  if (context.forwardedHost !== undefined) out.push("x-forwarded-host", context.forwardedHost);
  out.push("x-request-id", context.requestId);
  if (context.identity !== undefined) {
    out.push("x-gatehouse-service", context.identity.service, "x-gatehouse-scopes", context.identity.scopes);
  }
  return out;
}

function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? "";
    if (name.length !== 10 || name.toLowerCase() !== "connection") continue;
    for (const token of (raw[i + 1] ?? "").split(",")) {
      const t = token.trim().toLowerCase();
      if (t !== "") (tokens ??= new Set()).add(t);
    }
  }
  return tokens;
}

/**
 * The upstream response headers relayed to the client, as a flat list: hop-by-hop fields and
 * the fields the upstream's `Connection` names are removed.
 */
export function relayResponseHeaders(headers: IncomingHttpHeaders, out: string[]): string[] {
  const connection = headers.connection;
  const listed = connection === undefined ? undefined : new Set(connection.split(",").map((t) => t.trim().toLowerCase()));
  for (const name in headers) {
    if (DROPPED_RESPONSE.has(name) || name.startsWith("proxy-") || listed?.has(name) === true) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === "string") out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  return out;
}
