/**
 * Public shapes of revocation enforcement: the `revocation` option of `createVerifier`, its events and status.
 *
 * @module
 */
import type { TokenSource } from "../client/types.js";
import type { Revocation } from "./revocation-set.js";

/** How the verifier authenticates to the revocation feed. */
export type RevocationFeedAuth =
  | {
      /** A token source of this service; its tokens for `resource` must carry `gatehouse:revocations`. */
      readonly tokenSource: Pick<TokenSource, "authFetch">;
      /** The audience the auth server's `revocation.audience` names. */
      readonly resource: string;
      /** Default `["gatehouse:revocations"]`. */
      readonly scopes?: readonly string[];
    }
  | {
      /** A fixed bearer credential (the auth server's admin credential, for tools and tests). */
      readonly bearer: string;
    };

/** What the verifier does once the feed has been away longer than `maxStaleSeconds`. */
export type RevocationFailureMode = "open" | "closed";

/** The `revocation` option of `createVerifier`. */
export interface RevocationOptions {
  /** The feed (Server-Sent Events of signed SETs). Default `<issuer>/revocations`. */
  readonly feedUrl?: string;
  /**
   * How to authenticate to the feed: `{ tokenSource, resource, scopes? }` (a token of this service carrying
   * `gatehouse:revocations`; a refused token is replaced once) or `{ bearer }` (a fixed credential).
   */
  readonly auth: RevocationFeedAuth;
  /** How long the feed may be away (no event and no keep-alive) before `failureMode` applies. Default 30 s. */
  readonly maxStaleSeconds?: number;
  /**
   * Once stale: `open` keeps checking against the last known set; `closed` also refuses every token issued before
   * the last moment the feed was in sync (and every token, with `revocation_unavailable`, when it never was).
   * Default `open`.
   */
  readonly failureMode?: RevocationFailureMode;
  /** Called for each feed event worth a log line or a metric. */
  readonly onEvent?: (event: RevocationEvent) => void;
}

/** What happens on the feed. */
export type RevocationEvent =
  | { readonly type: "connected"; readonly resumed: boolean }
  | { readonly type: "disconnected"; readonly reason: string }
  | { readonly type: "snapshot"; readonly entries: number }
  | { readonly type: "revoked"; readonly revocation: Revocation }
  | { readonly type: "event_rejected"; readonly reason: string; readonly id: string | undefined }
  | { readonly type: "stale"; readonly lastSyncMs: number | undefined; readonly failureMode: RevocationFailureMode }
  | { readonly type: "fresh" };

/** The feed's state, for readiness probes and metrics. */
export interface RevocationStatus {
  /** Whether a snapshot has been received since the start. */
  readonly synced: boolean;
  /** Whether the stream is open now. */
  readonly connected: boolean;
  /** Whether the feed has been away longer than `maxStaleSeconds`. */
  readonly stale: boolean;
  /** Epoch ms of the last event or keep-alive on a synced stream. */
  readonly lastSyncMs: number | undefined;
  /** The last feed id applied (sent as `Last-Event-ID` on reconnection). */
  readonly lastEventId: string | undefined;
  /** Active revocations held. */
  readonly entries: number;
  /** Events applied (snapshots included). */
  readonly eventsApplied: number;
  /** Events ignored because their signature, type or content did not verify. */
  readonly eventsRejected: number;
  /** Connections opened after the first. */
  readonly reconnects: number;
  /** Tokens refused, by why: `jti`, `service`, `kid` (revoked), `stale` (closed failure mode). */
  readonly refused: Readonly<Record<"jti" | "service" | "kid" | "stale", number>>;
}
