import type { Logger } from "@gatehouse/service-kit";

/** One signing key as the page shows it. */
export interface SigningKeyAge {
  readonly kid: string;
  readonly alg: string | undefined;
  /** When the key was made (from the admin API), else when this console first saw it in the JWKS. */
  readonly since: string;
  /** `createdAt` (admin API) or `firstSeen` (JWKS): what `since` and the age count from. */
  readonly ageFrom: "createdAt" | "firstSeen";
  readonly ageSeconds: number;
  /** From the admin API: whether this key signs now, and when it retires. */
  readonly signing?: boolean;
  readonly retireAt?: string | null;
}

/** What `GET /api/status` says about the auth server's keys. */
export interface SigningKeysStatus {
  /** Where the list came from: the admin API (`/admin/keys`) or the JWKS. */
  readonly source: string | undefined;
  readonly jwksUri: string | undefined;
  readonly lastFetch: string | undefined;
  readonly error: string | undefined;
  readonly keys: readonly SigningKeyAge[];
}

/**
 * Follows the auth server's signing keys every `refreshSeconds`: from the admin API
 * (`GET /admin/keys`, with the admin credential) when it answers, which gives each key's creation
 * time and schedule; else from the JWKS (found through `/.well-known/oauth-authorization-server`),
 * where a key's age counts from the first time this console saw it. A key that disappears is
 * dropped (retired).
 */
export class SigningKeyWatch {
  readonly #issuer: string | undefined;
  readonly #everyMs: number;
  readonly #logger: Logger;
  readonly #firstSeen = new Map<string, { alg: string | undefined; firstSeenMs: number }>();
  readonly #admin: { readonly url: string; readonly credential: string } | undefined;
  #fromAdmin: readonly AdminKey[] | undefined;
  #jwksUri: string | undefined;
  #lastFetchMs: number | undefined;
  #error: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(issuer: string | undefined, refreshSeconds: number, logger: Logger, admin?: { readonly url: string; readonly credential: string }) {
    this.#issuer = issuer;
    this.#admin = admin;
    this.#everyMs = refreshSeconds * 1000;
    this.#logger = logger;
  }

  start(): void {
    if ((this.#issuer === undefined && this.#admin === undefined) || this.#timer !== undefined) return;
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#everyMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async refresh(): Promise<void> {
    if (this.#admin !== undefined) {
      try {
        const body = (await getJson(`${this.#admin.url.replace(/\/+$/, "")}/admin/keys`, this.#admin.credential)) as { keys?: unknown };
        this.#fromAdmin = Array.isArray(body.keys) ? (body.keys as unknown[]).filter(isAdminKey) : [];
        this.#lastFetchMs = Date.now();
        this.#error = undefined;
        return;
      } catch (error) {
        this.#fromAdmin = undefined;
        this.#logger.debug({ err: { message: error instanceof Error ? error.message : String(error) } }, "the admin API's key list is not readable; using the JWKS");
      }
    }
    if (this.#issuer === undefined) return;
    try {
      this.#jwksUri ??= await discoverJwksUri(this.#issuer);
      const jwks = (await getJson(this.#jwksUri)) as { keys?: unknown };
      const keys = Array.isArray(jwks.keys) ? (jwks.keys as { kid?: unknown; alg?: unknown; use?: unknown }[]) : [];
      const now = Date.now();
      const present = new Set<string>();
      for (const key of keys) {
        if (typeof key.kid !== "string") continue;
        present.add(key.kid);
        if (!this.#firstSeen.has(key.kid)) this.#firstSeen.set(key.kid, { alg: typeof key.alg === "string" ? key.alg : undefined, firstSeenMs: now });
      }
      for (const kid of this.#firstSeen.keys()) if (!present.has(kid)) this.#firstSeen.delete(kid);
      this.#lastFetchMs = now;
      this.#error = undefined;
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error);
      this.#logger.debug({ err: { message: this.#error } }, "reading the auth server's JWKS failed");
    }
  }

  status(nowMs: number): SigningKeysStatus {
    const age = (sinceMs: number) => Math.max(0, Math.round((nowMs - sinceMs) / 1000));
    if (this.#fromAdmin !== undefined) {
      return {
        source: "admin",
        jwksUri: this.#jwksUri,
        lastFetch: this.#lastFetchMs === undefined ? undefined : new Date(this.#lastFetchMs).toISOString(),
        error: undefined,
        keys: this.#fromAdmin
          .filter((key) => key.published)
          .map((key) => {
            const createdMs = key.createdAt === null ? Number.NaN : Date.parse(key.createdAt);
            const known = Number.isFinite(createdMs);
            return {
              kid: key.kid,
              alg: key.alg,
              since: known ? new Date(createdMs).toISOString() : "unknown",
              ageFrom: "createdAt" as const,
              ageSeconds: known ? age(createdMs) : -1,
              signing: key.signing,
              retireAt: key.retireAt,
            };
          }),
      };
    }
    return {
      source: this.#jwksUri === undefined ? undefined : "jwks",
      jwksUri: this.#jwksUri,
      lastFetch: this.#lastFetchMs === undefined ? undefined : new Date(this.#lastFetchMs).toISOString(),
      error: this.#error,
      keys: [...this.#firstSeen].map(([kid, { alg, firstSeenMs }]) => ({
        kid,
        alg,
        since: new Date(firstSeenMs).toISOString(),
        ageFrom: "firstSeen" as const,
        ageSeconds: age(firstSeenMs),
      })),
    };
  }
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const metadata = (await getJson(`${issuer.replace(/\/+$/, "")}/.well-known/oauth-authorization-server`)) as { jwks_uri?: unknown };
  if (typeof metadata.jwks_uri !== "string") throw new Error("the discovery document has no jwks_uri");
  return metadata.jwks_uri;
}

/** A key as `GET /admin/keys` lists it. */
interface AdminKey {
  readonly kid: string;
  readonly alg: string | undefined;
  readonly createdAt: string | null;
  readonly retireAt: string | null;
  readonly signing: boolean;
  readonly published: boolean;
}

function isAdminKey(value: unknown): value is AdminKey {
  const key = value as Partial<Record<keyof AdminKey, unknown>> | null;
  return (
    typeof key?.kid === "string" &&
    (key.createdAt === null || typeof key.createdAt === "string") &&
    (key.retireAt === null || typeof key.retireAt === "string") &&
    typeof key.signing === "boolean" &&
    typeof key.published === "boolean"
  );
}

async function getJson(url: string, credential?: string): Promise<unknown> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (credential !== undefined) headers["authorization"] = `Bearer ${credential}`;
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${url} answered HTTP ${String(response.status)}`);
  }
  return response.json();
}
