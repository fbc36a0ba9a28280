// The verifier's revocation feed against a scripted feed server (real node:http, real SSE): forged events are
// ignored and reported, genuine ones applied, and the failure modes once the feed is away.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createVerifier, type RevocationEvent, type Verifier } from "../src/index.js";
import { startJwksServer, type JwksServer } from "./helpers/jwks-server.js";
import { generateSigningKey, nowSeconds, signAccessToken, type SigningKey } from "./helpers/keys.js";

const AUDIENCE = "https://inventory.internal";
const SNAPSHOT = "urn:gatehouse:secevent:revocation-snapshot";
const REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

interface Feed {
  readonly url: string;
  readonly connections: { lastEventId: string | undefined }[];
  send(id: string, event: string, data: string): void;
  /** Drops every open stream and answers 503 until `up(true)`. */
  up(on: boolean): void;
  close(): Promise<void>;
}

async function startFeed(onConnect: (feed: Feed, lastEventId: string | undefined) => void): Promise<Feed> {
  const open = new Set<ServerResponse>();
  let available = true;
  const connections: { lastEventId: string | undefined }[] = [];
  const server = createServer((req, res) => {
    if (!available) {
      res.writeHead(503).end();
      return;
    }
    const lastEventId = req.headers["last-event-id"] as string | undefined;
    connections.push({ lastEventId });
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(": hello\n\n");
    open.add(res);
    res.on("close", () => open.delete(res));
    onConnect(feed, lastEventId);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const feed: Feed = {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/revocations`,
    connections,
    send(id, event, data) {
      for (const res of open) res.write(`id: ${id}\nevent: ${event}\ndata: ${data}\n\n`);
    },
    up(on) {
      available = on;
      if (!on) for (const res of open) res.destroy();
    },
    async close() {
      for (const res of open) res.destroy();
      server.close();
      await once(server, "close");
    },
  };
  return feed;
}

function signSet(key: SigningKey, issuer: string, events: Record<string, unknown>, kid = key.kid): Promise<string> {
  return new SignJWT({ events })
    .setProtectedHeader({ alg: "ES256", typ: "secevent+jwt", kid })
    .setIssuer(issuer)
    .setIssuedAt()
    .setJti(randomUUID())
    .sign(key.privateKey);
}

const jtiRevocation = (jti: string) => ({ [REVOKED]: { subject: { format: "jwt_id", jti }, "urn:gatehouse:revocation": { kind: "jti", value: jti, revokedAt: nowSeconds(), until: nowSeconds() + 300 } } });

async function eventually(check: () => Promise<void> | void, withinMs = 3_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

let key: SigningKey;
let jwks: JwksServer;
let verifier: Verifier | undefined;
let feed: Feed | undefined;

beforeEach(async () => {
  key = await generateSigningKey("issuer-key");
  jwks = await startJwksServer([key.publicJwk]);
});

afterEach(async () => {
  verifier?.close();
  await feed?.close();
  await jwks.close();
});

describe("revocation feed", () => {
  it("ignores and reports an event whose signature does not verify, and applies the genuine ones", async () => {
    const forger = await generateSigningKey("issuer-key");
    const forgedToken = await signAccessToken(key, { issuer: jwks.issuer });
    const revokedToken = await signAccessToken(key, { issuer: jwks.issuer });
    const jti = (token: string) => (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { jti: string }).jti;
    feed = await startFeed((f) => {
      void (async () => {
        f.send("1-0", "snapshot", await signSet(key, jwks.issuer, { [SNAPSHOT]: { revocations: [] } }));
        // Signed with another key under the issuer's kid: a forgery.
        f.send("2-0", "revocation", await signSet(forger, jwks.issuer, jtiRevocation(jti(forgedToken))));
        f.send("3-0", "revocation", await signSet(key, jwks.issuer, jtiRevocation(jti(revokedToken))));
      })();
    });
    const events: RevocationEvent[] = [];
    verifier = createVerifier({ issuer: jwks.issuer, audience: AUDIENCE, revocation: { feedUrl: feed.url, auth: { bearer: "feed-credential" }, onEvent: (e) => events.push(e) } });
    await eventually(async () => {
      await expect(verifier?.verify(revokedToken)).rejects.toMatchObject({ code: "invalid_token", description: "the token has been revoked" });
    });
    expect((await verifier.verify(forgedToken)).jti).toBe(jti(forgedToken));
    expect(events).toContainEqual({ type: "event_rejected", id: "2-0", reason: "the event does not verify: signature verification failed" });
    expect(verifier.revocationStatus()).toMatchObject({ synced: true, eventsApplied: 2, eventsRejected: 1, lastEventId: "3-0", entries: 1 });
  });

  it("refuses a cached token once it is revoked (the cache is no way around a revocation)", async () => {
    const token = await signAccessToken(key, { issuer: jwks.issuer });
    const jti = (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { jti: string }).jti;
    feed = await startFeed((f) => {
      void signSet(key, jwks.issuer, { [SNAPSHOT]: { revocations: [] } }).then((set) => f.send("1-0", "snapshot", set));
    });
    verifier = createVerifier({ issuer: jwks.issuer, audience: AUDIENCE, revocation: { feedUrl: feed.url, auth: { bearer: "feed-credential" } } });
    expect(await verifier.revocationReady(3_000)).toBe(true);
    await verifier.verify(token);
    expect(verifier.verifyCached(token)?.jti).toBe(jti);
    feed.send("2-0", "revocation", await signSet(key, jwks.issuer, jtiRevocation(jti)));
    // The revocation drops the cached entry: the next call is a miss, and the full check refuses it.
    await eventually(() => {
      expect(verifier?.verifyCached(token)).toBeUndefined();
    });
    expect(verifier.stats.cacheSize).toBe(0);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: "invalid_token", description: "the token has been revoked" });
  });

  it("resumes with Last-Event-ID after the stream is cut, and applies what it missed", async () => {
    const token = await signAccessToken(key, { issuer: jwks.issuer });
    const jti = (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { jti: string }).jti;
    feed = await startFeed((f, lastEventId) => {
      void (async () => {
        if (lastEventId === undefined) f.send("5-0", "snapshot", await signSet(key, jwks.issuer, { [SNAPSHOT]: { revocations: [] } }));
        else f.send("6-0", "revocation", await signSet(key, jwks.issuer, jtiRevocation(jti)));
      })();
    });
    verifier = createVerifier({ issuer: jwks.issuer, audience: AUDIENCE, revocation: { feedUrl: feed.url, auth: { bearer: "feed-credential" } } });
    expect(await verifier.revocationReady(3_000)).toBe(true);
    feed.up(false);
    feed.up(true);
    await eventually(async () => {
      await expect(verifier?.verify(token)).rejects.toMatchObject({ code: "invalid_token" });
    });
    expect(feed.connections.map((c) => c.lastEventId)).toEqual([undefined, "5-0"]);
  });

  it("closed: once the feed is away longer than maxStaleSeconds, refuses tokens issued before the last sync and accepts newer ones", async () => {
    feed = await startFeed((f) => {
      void signSet(key, jwks.issuer, { [SNAPSHOT]: { revocations: [] } }).then((set) => f.send("1-0", "snapshot", set));
    });
    const events: RevocationEvent[] = [];
    verifier = createVerifier({
      issuer: jwks.issuer,
      audience: AUDIENCE,
      revocation: { feedUrl: feed.url, auth: { bearer: "feed-credential" }, maxStaleSeconds: 1, failureMode: "closed", onEvent: (e) => events.push(e) },
    });
    expect(await verifier.revocationReady(3_000)).toBe(true);
    const old = await signAccessToken(key, { issuer: jwks.issuer, claims: { iat: nowSeconds() - 10 } });
    expect((await verifier.verify(old)).service).toBe("orders");
    feed.up(false);
    await eventually(async () => {
      await expect(verifier?.verify(old)).rejects.toMatchObject({ code: "invalid_token", description: "the token was issued before the revocation feed was last in sync; get a new one" });
    });
    const fresh = await signAccessToken(key, { issuer: jwks.issuer, claims: { iat: nowSeconds() + 1 } });
    expect((await verifier.verify(fresh)).service).toBe("orders");
    expect(events).toContainEqual(expect.objectContaining({ type: "stale", failureMode: "closed" }));
    expect(verifier.revocationStatus()?.refused.stale).toBeGreaterThan(0);
  });

  it("open: once stale, keeps checking against the last snapshot and accepts the rest", async () => {
    feed = await startFeed((f) => {
      void signSet(key, jwks.issuer, { [SNAPSHOT]: { revocations: [] } }).then((set) => f.send("1-0", "snapshot", set));
    });
    verifier = createVerifier({ issuer: jwks.issuer, audience: AUDIENCE, revocation: { feedUrl: feed.url, auth: { bearer: "x" }, maxStaleSeconds: 1, failureMode: "open" } });
    expect(await verifier.revocationReady(3_000)).toBe(true);
    feed.up(false);
    await eventually(() => {
      expect(verifier?.revocationStatus()?.stale).toBe(true);
    });
    const old = await signAccessToken(key, { issuer: jwks.issuer, claims: { iat: nowSeconds() - 10 } });
    expect((await verifier.verify(old)).service).toBe("orders");
  });

  it("closed: a verifier that never reached the feed refuses every token with 503 revocation_unavailable once stale", async () => {
    verifier = createVerifier({
      issuer: jwks.issuer,
      audience: AUDIENCE,
      revocation: { feedUrl: "http://127.0.0.1:9/revocations", auth: { bearer: "x" }, maxStaleSeconds: 1, failureMode: "closed" },
    });
    const token = await signAccessToken(key, { issuer: jwks.issuer });
    await eventually(async () => {
      await expect(verifier?.verify(token)).rejects.toMatchObject({ code: "revocation_unavailable", status: 503 });
    });
  });
});
