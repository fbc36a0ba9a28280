import type { ServerResponse } from "node:http";
import Router from "@koa/router";
import type { Middleware } from "koa";
import type { Logger } from "@gatehouse/service-kit";
import { Gauge, type Registry } from "prom-client";
import { AuthServerError } from "../errors.js";
import type { FeedRecord } from "../revocation/entry.js";
import type { Revocations } from "../revocation/revocations.js";
import type { SecurityEventSigner } from "../revocation/security-event.js";
import { compareIds, parseId, type RevocationStore } from "../revocation/store.js";

/** The path of the feed. */
export const FEED_PATH = "/revocations";

/** What the feed is built from. */
export interface RevocationFeedOptions {
  /** Authenticates a subscriber (a Gatehouse token with the feed scope, or the admin credential). */
  readonly guard: Middleware;
  readonly store: RevocationStore;
  readonly revocations: Revocations;
  readonly signer: SecurityEventSigner;
  /** Seconds between two keep-alive comments (a subscriber counts the feed as alive while they arrive). */
  readonly heartbeatSeconds: number;
  readonly logger: Logger;
  readonly metrics: Registry;
}

/** The feed's router and a way to end every open stream (on shutdown). */
export interface RevocationFeed {
  readonly router: Router;
  closeAll(): void;
}

/**
 * `GET /revocations`: a `text/event-stream` (Server-Sent Events) of signed Security Event Tokens.
 * Without `Last-Event-ID`, or with one the feed cannot resume from, it starts with a `snapshot`
 * event (every active revocation); then one `revocation` event per new record, from any replica.
 * Each event's `id` is its feed id, so a reconnecting subscriber sends the last one it saw as
 * `Last-Event-ID` and gets exactly what it missed. Keep-alive comments every `heartbeatSeconds`.
 */
export function revocationFeed(options: RevocationFeedOptions): RevocationFeed {
  const { store, signer, logger } = options;
  const open = new Set<ServerResponse>();
  new Gauge({
    name: "gatehouse_auth_revocation_feed_subscribers",
    help: "Open revocation feed streams on this process.",
    registers: [options.metrics],
    collect() {
      this.set(open.size);
    },
  });
  // One signature per record and process, whatever the number of subscribers.
  const signed = new Map<string, Promise<string>>();
  const signRecord = (record: FeedRecord): Promise<string> => {
    let jws = signed.get(record.id);
    if (jws === undefined) {
      jws = signer.record(record);
      signed.set(record.id, jws);
      if (signed.size > 1000) signed.delete(signed.keys().next().value ?? "");
    }
    return jws;
  };

  const router = new Router();
  router.get(FEED_PATH, options.guard, async (ctx) => {
    const res = ctx.res;
    const lastEventId = ctx.get("last-event-id");
    const resumeFrom = parseId(lastEventId) === undefined ? undefined : lastEventId;
    const pending: FeedRecord[] = [];
    let lastSent: string | undefined;
    let writing = Promise.resolve();
    const write = (id: string, event: string, data: string) => {
      res.write(`id: ${id}\nevent: ${event}\ndata: ${data}\n\n`);
      lastSent = id;
    };
    const send = (record: FeedRecord) => {
      writing = writing.then(async () => {
        if (lastSent !== undefined && (compareIds(record.id, lastSent) ?? 1) <= 0) return;
        const jws = await signRecord(record);
        if (!res.writableEnded) write(record.id, "revocation", jws);
      });
    };
    let live = false;
    const unsubscribe = store.subscribe((record) => {
      if (live) send(record);
      else pending.push(record);
    });
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), options.heartbeatSeconds * 1000);
    heartbeat.unref();
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(res);
    };
    res.once("close", end);
    try {
      const missed = resumeFrom === undefined ? undefined : await store.after(resumeFrom);
      ctx.status = 200;
      ctx.respond = false;
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
      res.write("retry: 1000\n\n");
      open.add(res);
      if (missed === undefined) {
        const snapshot = await options.revocations.list();
        write(snapshot.id, "snapshot", await signer.snapshot(snapshot.records.map((r) => r.revocation)));
      } else {
        lastSent = resumeFrom;
        for (const record of missed) send(record);
      }
      live = true;
      for (const record of pending.splice(0)) send(record);
      await writing;
      logger.info({ event: "revocation.feed_opened", resumed: missed !== undefined, lastEventId: resumeFrom, remote: ctx.ip }, "revocation feed subscriber connected");
    } catch (error) {
      end();
      if (!res.headersSent) throw new AuthServerError("service_unavailable", "revocations cannot be read right now", { cause: error });
      logger.error({ err: error }, "revocation feed failed; closing the stream");
      res.destroy();
    }
  });

  return {
    router,
    closeAll() {
      for (const res of open) res.end();
      open.clear();
    },
  };
}
