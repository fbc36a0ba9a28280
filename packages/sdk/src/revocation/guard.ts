/**
 * Revocation enforcement inside the verifier: subscribes to the auth server's revocation feed, verifies each
 * Security Event Token (RFC 8417) against the issuer's JWKS, keeps the set of active revocations and checks every
 * verified token against it.
 *
 * @module
 */
import { jwtVerify, type JWTVerifyGetKey } from "jose";
import { GatehouseError } from "../errors.js";
import { parseRevocation, RevocationSet, type RevocableToken, type Revocation } from "./revocation-set.js";
import { EventStreamParser, type ServerSentEvent } from "./sse.js";
import type { RevocationEvent, RevocationFailureMode, RevocationOptions, RevocationStatus } from "./types.js";

/** The `typ` of a Security Event Token (RFC 8417 §2.3). */
const SET_TYPE = "secevent+jwt";
/** The member of an event that carries the revocation. */
const REVOCATION_MEMBER = "urn:gatehouse:revocation";
/** The event type of a snapshot of every active revocation. */
const SNAPSHOT_EVENT = "urn:gatehouse:secevent:revocation-snapshot";
/** Reconnect after this long without a byte (the server sends a keep-alive every few seconds). */
const IDLE_TIMEOUT_MS = 15_000;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 2_000;

/** What the guard needs from the verifier. */
export interface GuardDeps {
  readonly feedUrl: string;
  readonly getKey: JWTVerifyGetKey;
  readonly algorithms: readonly string[];
  /** Whether `iss` names the issuer this verifier trusts. */
  readonly issuerMatches: (iss: unknown) => boolean;
}

function nonNegative(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new GatehouseError("invalid_options", `${name} must be a positive number, got ${String(value)}`);
  return value;
}

/** The feed subscription and the revocation check. Create through `createVerifier({ revocation })`. */
export class RevocationGuard {
  readonly #options: RevocationOptions;
  readonly #deps: GuardDeps;
  readonly #set = new RevocationSet();
  readonly #maxStaleMs: number;
  readonly #failureMode: RevocationFailureMode;
  readonly #createdMs = Date.now();
  readonly #revokedListeners = new Set<(revocation: Revocation | "snapshot") => void>();
  readonly #syncWaiters = new Set<() => void>();
  #abort: AbortController | undefined;
  #closed = false;
  #synced = false;
  #connected = false;
  #failing = false;
  #stale = false;
  #lastSyncMs: number | undefined;
  #lastEventId: string | undefined;
  #connections = 0;
  #applied = 0;
  #rejected = 0;
  readonly #refused = { jti: 0, service: 0, kid: 0, stale: 0 };
  #purgeTimer: NodeJS.Timeout | undefined;

  constructor(options: RevocationOptions, deps: GuardDeps) {
    this.#options = options;
    this.#deps = deps;
    this.#maxStaleMs = nonNegative(options.maxStaleSeconds ?? 30, "revocation.maxStaleSeconds") * 1000;
    const mode: string = options.failureMode ?? "open";
    if (mode !== "open" && mode !== "closed") throw new GatehouseError("invalid_options", `revocation.failureMode must be "open" or "closed", got ${JSON.stringify(mode)}`);
    this.#failureMode = mode;
  }

  /** Starts the subscription (once). */
  start(): void {
    if (this.#abort !== undefined || this.#closed) return;
    this.#abort = new AbortController();
    this.#purgeTimer = setInterval(() => this.#set.purge(Date.now() / 1000), 60_000);
    this.#purgeTimer.unref();
    void this.#run();
  }

  /** Called with each applied revocation (or `"snapshot"` after a snapshot), so caches can drop what it covers. */
  onRevoked(listener: (revocation: Revocation | "snapshot") => void): void {
    this.#revokedListeners.add(listener);
  }

  /** Whether the set covers `token` now. */
  covers(token: RevocableToken): boolean {
    return this.#set.covers(token, Date.now() / 1000) !== undefined;
  }

  /** The error to refuse `token` with, or undefined when it may pass. O(1). */
  check(token: RevocableToken): GatehouseError | undefined {
    const nowMs = Date.now();
    const kind = this.#set.covers(token, nowMs / 1000);
    if (kind !== undefined) {
      this.#refused[kind] += 1;
      return new GatehouseError("invalid_token", "the token has been revoked");
    }
    if (!this.#isStale(nowMs) || this.#failureMode === "open") return undefined;
    this.#refused.stale += 1;
    if (this.#lastSyncMs === undefined) {
      return new GatehouseError("revocation_unavailable", "the revocation feed has not been reached; tokens cannot be checked");
    }
    if (token.issuedAt * 1000 < this.#lastSyncMs) {
      return new GatehouseError("invalid_token", "the token was issued before the revocation feed was last in sync; get a new one");
    }
    return undefined;
  }

  /** Resolves once the first snapshot is applied, or false after `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#syncWaiters.delete(done);
        resolve(this.#synced);
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.#syncWaiters.add(done);
    });
  }

  status(): RevocationStatus {
    return {
      synced: this.#synced,
      connected: this.#connected,
      stale: this.#isStale(Date.now()),
      lastSyncMs: this.#lastSyncMs,
      lastEventId: this.#lastEventId,
      entries: this.#set.size,
      eventsApplied: this.#applied,
      eventsRejected: this.#rejected,
      reconnects: Math.max(0, this.#connections - 1),
      refused: { ...this.#refused },
    };
  }

  close(): void {
    this.#closed = true;
    this.#abort?.abort();
    clearInterval(this.#purgeTimer);
    for (const done of [...this.#syncWaiters]) done();
  }

  #isClosed(): boolean {
    return this.#closed;
  }

  #emit(event: RevocationEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // A failing listener must not stop the feed.
    }
  }

  #isStale(nowMs: number): boolean {
    const stale = nowMs - (this.#lastSyncMs ?? this.#createdMs) > this.#maxStaleMs;
    if (stale !== this.#stale) {
      this.#stale = stale;
      this.#emit(stale ? { type: "stale", lastSyncMs: this.#lastSyncMs, failureMode: this.#failureMode } : { type: "fresh" });
    }
    return stale;
  }

  #contact(): void {
    if (!this.#synced) return;
    this.#lastSyncMs = Date.now();
    this.#isStale(this.#lastSyncMs);
  }

  async #run(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (!this.#closed) {
      const reason = await this.#connectOnce().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      // After a stream that was open, reconnect at once; after failed attempts, back off up to 2 s.
      const wasConnected = this.#connected;
      if (wasConnected) backoff = BACKOFF_MIN_MS;
      this.#connected = false;
      if (this.#isClosed()) return;
      // Reported once per outage, not once per attempt.
      if (wasConnected || !this.#failing) this.#emit({ type: "disconnected", reason });
      this.#failing = !wasConnected;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * backoff));
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  }

  /** One connection, until it ends; resolves with why it ended. */
  async #connectOnce(): Promise<string> {
    const connection = new AbortController();
    const onClose = () => connection.abort();
    this.#abort?.signal.addEventListener("abort", onClose, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(), IDLE_TIMEOUT_MS);
      idle.unref();
    };
    try {
      touch();
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (this.#lastEventId !== undefined) headers["last-event-id"] = this.#lastEventId;
      const auth = this.#options.auth;
      const response =
        "bearer" in auth
          ? await fetch(this.#deps.feedUrl, { headers: { ...headers, authorization: `Bearer ${auth.bearer}` }, signal: connection.signal })
          : await auth.tokenSource.authFetch(this.#deps.feedUrl, {
              resource: auth.resource,
              scopes: auth.scopes ?? ["gatehouse:revocations"],
              headers,
              signal: connection.signal,
            });
      if (response.status !== 200 || !(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
        await response.body?.cancel();
        return `the feed answered ${response.status}`;
      }
      this.#connections += 1;
      this.#connected = true;
      const resumed = this.#lastEventId !== undefined;
      this.#emit({ type: "connected", resumed });
      let queue = Promise.resolve();
      const parser = new EventStreamParser((event) => {
        queue = queue.then(() => this.#handle(event));
      });
      const decoder = new TextDecoder();
      if (response.body === null) return "the feed sent no body";
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        touch();
        parser.feed(decoder.decode(chunk, { stream: true }));
        await queue;
        // A resumed stream is in sync once it is open; a new one once its snapshot is applied.
        if (resumed || this.#synced) this.#contact();
      }
      return "the feed closed the stream";
    } finally {
      clearTimeout(idle);
      this.#abort?.signal.removeEventListener("abort", onClose);
    }
  }

  async #handle(event: ServerSentEvent): Promise<void> {
    let events: Record<string, unknown>;
    try {
      const { payload } = await jwtVerify(event.data, this.#deps.getKey, { algorithms: [...this.#deps.algorithms], typ: SET_TYPE });
      if (!this.#deps.issuerMatches(payload.iss)) throw new Error('the "iss" claim is not the issuer');
      const value = payload["events"];
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error('the SET has no "events" object');
      events = value as Record<string, unknown>;
    } catch (error) {
      this.#reject(event, `the event does not verify: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (event.event === "snapshot") {
      const body = events[SNAPSHOT_EVENT] as { revocations?: unknown } | undefined;
      if (!Array.isArray(body?.revocations)) {
        this.#reject(event, "a snapshot without a revocations list");
        return;
      }
      const revocations = body.revocations.map(parseRevocation).filter((r): r is Revocation => r !== undefined);
      this.#set.merge(revocations, Date.now() / 1000);
      this.#accept(event);
      this.#synced = true;
      this.#emit({ type: "snapshot", entries: revocations.length });
      for (const listener of this.#revokedListeners) listener("snapshot");
      for (const done of [...this.#syncWaiters]) done();
      return;
    }
    const revocation = Object.values(events)
      .map((body) => parseRevocation((body as Record<string, unknown> | null)?.[REVOCATION_MEMBER]))
      .find((r) => r !== undefined);
    if (revocation === undefined) {
      this.#reject(event, "an event without a revocation");
      return;
    }
    this.#set.apply(revocation);
    this.#accept(event);
    this.#emit({ type: "revoked", revocation });
    for (const listener of this.#revokedListeners) listener(revocation);
  }

  #accept(event: ServerSentEvent): void {
    this.#applied += 1;
    if (event.id !== undefined && event.id !== "") this.#lastEventId = event.id;
  }

  #reject(event: ServerSentEvent, reason: string): void {
    this.#rejected += 1;
    this.#emit({ type: "event_rejected", reason, id: event.id });
  }
}
