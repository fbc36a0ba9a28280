import { GatewayError } from "../errors.js";
import type { RouteConfig } from "../config/schema.js";

/** A route ready for the hot path: its config plus whatever the gateway attached to it. */
export interface CompiledRoute<T> {
  readonly name: string;
  readonly prefix: string;
  readonly methods: ReadonlySet<string> | null;
  readonly host: string | null;
  readonly public: boolean;
  readonly stripPrefix: boolean;
  readonly config: RouteConfig;
  /** What the composition root attached (policy, limit, upstreams). */
  readonly target: T;
}

/**
 * The route table compiled once from the config: a whole-segment prefix matcher over canonical
 * paths (not a router: no patterns, no parameters, nothing to misparse).
 *
 * Matching: the longest `pathPrefix` that matches whole segments wins; among routes with that
 * prefix, those whose `host` equals the request's Host (port ignored, case-folded) come before
 * routes without a host, and the first whose `methods` include the method is chosen. A path
 * whose longest prefix has routes, none for this method, is 405 (it never falls through to a
 * shorter prefix with a looser policy). No match is 404. A path that would match a longer
 * prefix if letter case were ignored is 400, so `/API/admin` cannot slip past the `/api/admin`
 * policy into a catch-all route.
 */
export class RouteTable<T> {
  readonly routes: readonly CompiledRoute<T>[];
  readonly #exact = new Map<string, CompiledRoute<T>[]>();
  readonly #folded = new Map<string, CompiledRoute<T>[]>();
  readonly #usesHost: boolean;
  readonly #upperPrefixes: boolean;

  constructor(routes: readonly RouteConfig[], attach: (route: RouteConfig) => T) {
    this.routes = routes.map((config) => ({
      name: config.name,
      prefix: config.pathPrefix,
      methods: config.methods === undefined ? null : new Set<string>(config.methods),
      host: config.host ?? null,
      public: config.public,
      stripPrefix: config.stripPrefix,
      config,
      target: attach(config),
    }));
    for (const route of this.routes) {
      add(this.#exact, route.prefix, route);
      add(this.#folded, route.prefix.toLowerCase(), route);
    }
    // Host-specific routes first, then config order (Array.prototype.sort is stable).
    for (const list of [...this.#exact.values(), ...this.#folded.values()]) {
      list.sort((a, b) => Number(a.host === null) - Number(b.host === null));
    }
    this.#usesHost = this.routes.some((r) => r.host !== null);
    this.#upperPrefixes = this.routes.some((r) => r.prefix !== r.prefix.toLowerCase());
  }

  /**
   * Finds the route for a canonical path (see `canonicalizeTarget`). Throws a
   * {@link GatewayError}: `not_found`, `method_not_allowed` (with `Allow`) or `invalid_request`.
   */
  match(method: string, hostHeader: string | undefined, path: string): CompiledRoute<T> {
    const host = this.#usesHost ? normalizeHost(hostHeader) : "";
    const exact = find(this.#exact, path, host);
    if (this.#upperPrefixes || hasUpperCase(path)) {
      const folded = find(this.#folded, path.toLowerCase(), host);
      if (folded !== undefined && (exact === undefined || folded.prefixLength > exact.prefixLength)) {
        throw new GatewayError("invalid_request", "the path matches a route only when letter case is ignored");
      }
    }
    if (exact === undefined) throw new GatewayError("not_found", "no route matches this path");
    for (const route of exact.routes) {
      if (route.methods === null || route.methods.has(method)) return route;
    }
    const allow = [...new Set(exact.routes.flatMap((r) => [...(r.methods ?? [])]))].join(", ");
    throw new GatewayError("method_not_allowed", `this route does not accept ${method}`, { headers: { allow } });
  }
}

interface Found<T> {
  readonly routes: readonly CompiledRoute<T>[];
  readonly prefixLength: number;
}

function find<T>(map: ReadonlyMap<string, CompiledRoute<T>[]>, path: string, host: string): Found<T> | undefined {
  let end = path.length;
  while (end > 0) {
    const candidate = end === path.length ? path : path.slice(0, end);
    const routes = forHost(map.get(candidate), host);
    if (routes !== undefined) return { routes, prefixLength: end };
    end = path.lastIndexOf("/", end - 1);
  }
  const root = forHost(map.get("/"), host);
  return root === undefined ? undefined : { routes: root, prefixLength: 1 };
}

function forHost<T>(routes: CompiledRoute<T>[] | undefined, host: string): readonly CompiledRoute<T>[] | undefined {
  if (routes === undefined) return undefined;
  let all = true;
  for (const route of routes) {
    if (route.host !== null && route.host !== host) {
      all = false;
      break;
    }
  }
  if (all) return routes;
  const matching = routes.filter((route) => route.host === null || route.host === host);
  return matching.length === 0 ? undefined : matching;
}

function add<T>(map: Map<string, CompiledRoute<T>[]>, key: string, route: CompiledRoute<T>): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [route]);
  else list.push(route);
}

/** `Example.COM:8080` → `example.com`; `[::1]:80` → `[::1]`. */
export function normalizeHost(value: string | undefined): string {
  if (value === undefined) return "";
  const lower = value.toLowerCase();
  if (lower.startsWith("[")) {
    const close = lower.indexOf("]");
    return close < 0 ? lower : lower.slice(0, close + 1);
  }
  const colon = lower.indexOf(":");
  return colon < 0 ? lower : lower.slice(0, colon);
}

function hasUpperCase(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/**
 * The path forwarded for a route: the canonical path, or what follows the prefix when
 * `stripPrefix` is set (`""` for the prefix itself, so `/auth/token` → upstream base path as is).
 */
export function forwardedPath(route: { readonly prefix: string; readonly stripPrefix: boolean }, path: string): string {
  if (!route.stripPrefix || route.prefix === "/") return path;
  return path.slice(route.prefix.length);
}
