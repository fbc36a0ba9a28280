import type { Logger } from "@gatehouse/service-kit";

/** One published signing key as the page shows it. */
export interface SigningKeyAge {
  readonly kid: string;
  readonly alg: string | undefined;
  /** When this console first saw the key in the JWKS (the JWKS carries no creation time). */
  readonly firstSeen: string;
  readonly ageSeconds: number;
}

/** What `GET /api/status` says about the auth server's keys. */
export interface SigningKeysStatus {
  readonly jwksUri: string | undefined;
  readonly lastFetch: string | undefined;
  readonly error: string | undefined;
  readonly keys: readonly SigningKeyAge[];
}

/**
 * Follows the auth server's published signing keys: reads the discovery document
 * (`/.well-known/oauth-authorization-server`) once for `jwks_uri`, then the JWKS every
 * `refreshSeconds`. A key's age is counted from the first time this console saw it; a key that
 * disappears is dropped (retired).
 */
export class SigningKeyWatch {
  readonly #issuer: string | undefined;
  readonly #everyMs: number;
  readonly #logger: Logger;
  readonly #firstSeen = new Map<string, { alg: string | undefined; firstSeenMs: number }>();
  #jwksUri: string | undefined;
  #lastFetchMs: number | undefined;
  #error: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(issuer: string | undefined, refreshSeconds: number, logger: Logger) {
    this.#issuer = issuer;
    this.#everyMs = refreshSeconds * 1000;
    this.#logger = logger;
  }

  start(): void {
    if (this.#issuer === undefined || this.#timer !== undefined) return;
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#everyMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async refresh(): Promise<void> {
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
    return {
      jwksUri: this.#jwksUri,
      lastFetch: this.#lastFetchMs === undefined ? undefined : new Date(this.#lastFetchMs).toISOString(),
      error: this.#error,
      keys: [...this.#firstSeen].map(([kid, { alg, firstSeenMs }]) => ({
        kid,
        alg,
        firstSeen: new Date(firstSeenMs).toISOString(),
        ageSeconds: Math.max(0, Math.round((nowMs - firstSeenMs) / 1000)),
      })),
    };
  }
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const metadata = (await getJson(`${issuer.replace(/\/+$/, "")}/.well-known/oauth-authorization-server`)) as { jwks_uri?: unknown };
  if (typeof metadata.jwks_uri !== "string") throw new Error("the discovery document has no jwks_uri");
  return metadata.jwks_uri;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(5_000) });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${url} answered HTTP ${String(response.status)}`);
  }
  return response.json();
}
