import { randomBytes } from "node:crypto";
import * as oauth from "oauth4webapi";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createAuthServer, parseAuthServerConfig } from "@gatehouse/auth-server";
import { createLogger, EVENT_FIELD, securityEventSchema, type SecurityEvent } from "@gatehouse/service-kit";
import { createConsole, parseConsoleConfig, type Anomaly, type SecurityConsole } from "../src/index.js";
import { eventually, PrivateRedis, REDIS_URL, uniqueStream } from "./helpers/redis.js";

const ADMIN = randomBytes(24).toString("base64url");
const silent = createLogger("console", { level: "silent" });
const redis = new Redis(REDIS_URL);
const streams: string[] = [];
const running: SecurityConsole[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  if (streams.length > 0) await redis.del(...streams);
  redis.disconnect();
});

async function start(config: Record<string, unknown>, redisUrl = REDIS_URL): Promise<{ url: string; stream: string; console: SecurityConsole }> {
  const stream = typeof config["stream"] === "string" ? config["stream"] : uniqueStream("api");
  streams.push(stream);
  const securityConsole = createConsole(parseConsoleConfig({ ...config, stream }), { redisUrl, logger: silent, env: { GATEHOUSE_ADMIN_TOKEN: ADMIN } });
  running.push(securityConsole);
  const { port } = await securityConsole.listen(0);
  return { url: `http://127.0.0.1:${String(port)}`, stream, console: securityConsole };
}

function event(fields: Partial<SecurityEvent> & Pick<SecurityEvent, "event">): string {
  return JSON.stringify({ time: new Date().toISOString(), severity: "info", component: "gateway", instance: "gw-test:1", detail: {}, ...fields });
}

async function get(url: string, token: string | null = ADMIN): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: response.headers.get("content-type")?.includes("json") === true ? JSON.parse(text) : text };
}

interface Status {
  redis: { connected: boolean };
  events: { read: number; skipped: { malformed: number; oversized: number } };
}

describe("reading the stream", () => {
  it("skips malformed and oversized entries, counts them, and keeps reading the valid ones", async () => {
    const { url, stream } = await start({ reader: { maxEventBytes: 512 } });
    await redis.xadd(stream, "*", EVENT_FIELD, "{not json");
    await redis.xadd(stream, "*", "other", "field");
    await redis.xadd(stream, "*", EVENT_FIELD, JSON.stringify({ time: "yesterday", event: "gateway.traffic" }));
    await redis.xadd(stream, "*", EVENT_FIELD, event({ event: "gateway.forbidden", route: "r", detail: { padding: "x".repeat(1_000) } }));
    await redis.xadd(stream, "*", EVENT_FIELD, event({ event: "gateway.traffic", service: "orders", route: "inventory", detail: { seconds: 5, requests: 30, denied: 2, limited: 1, failed: 0, pressure: 0.5 } }));
    const status = await eventually(async () => {
      const s = (await get(`${url}/api/status`)).body as Status;
      return s.events.read >= 1 ? s : undefined;
    });
    expect(status.events).toMatchObject({ read: 1, skipped: { malformed: 3, oversized: 1 } });
    const graph = (await get(`${url}/api/graph`)).body as { edges: unknown[]; nodes: unknown[] };
    expect(graph.edges).toEqual([
      expect.objectContaining({ from: "orders", to: "inventory", rate: 0.5, requests: 30, denials: 2, limited: 1, failed: 0, limitPressure: 0.5, requestsTotal: 30 }),
    ]);
    expect(graph.nodes).toEqual([
      { kind: "route", name: "inventory" },
      { kind: "service", name: "orders" },
    ]);
    const metrics = (await get(`${url}/metrics`, null)).body as string;
    expect(metrics).toContain('gatehouse_console_events_skipped_total{reason="malformed"} 3');
    expect(metrics).toContain('gatehouse_console_events_skipped_total{reason="oversized"} 1');
  });

  it("raises an anomaly, writes it back to the stream in the shared schema and pushes it to the live feed", async () => {
    const { url, stream } = await start({ learningSeconds: 0 });
    const feed = await fetch(`${url}/api/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(feed.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = feed.body!.pipeThrough(new TextDecoderStream()).getReader();
    const trigger = await redis.xadd(stream, "*", EVENT_FIELD, event({ event: "gateway.forbidden", service: "billing", route: "payments", source: "10.0.0.9", detail: { status: 403 } }));
    let text = "";
    while (!text.includes("event: anomaly")) text += (await reader.read()).value ?? "";
    await reader.cancel();
    const anomalies = ((await get(`${url}/api/anomalies`)).body as { anomalies: Anomaly[] }).anomalies;
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ event: "anomaly.new_edge", service: "billing", route: "payments", evidence: { eventIds: [trigger], status: 403 }, response: { action: "alert", outcome: "raised" } });
    const written = await eventually(async () => {
      const entries = await redis.xrange(stream, "-", "+");
      return entries.map(([, fields]) => JSON.parse(fields[1] ?? "{}") as unknown).find((e) => (e as SecurityEvent).component === "console");
    });
    const parsed = securityEventSchema.parse(written);
    expect(parsed).toMatchObject({ event: "anomaly.new_edge", severity: "warning", service: "billing", route: "payments", detail: { id: anomalies[0]?.id } });
    const recent = (await get(`${url}/api/recent?event=gateway.forbidden`)).body as { events: { id: string }[] };
    expect(recent.events.map((e) => e.id)).toEqual([trigger]);
  });

  it("rebuilds its state from the stream after a restart, without doubling the anomalies", async () => {
    const first = await start({ learningSeconds: 0 });
    await redis.xadd(first.stream, "*", EVENT_FIELD, event({ event: "gateway.traffic", service: "orders", route: "inventory", detail: { seconds: 5, requests: 3 } }));
    const before = await eventually(async () => {
      const list = ((await get(`${first.url}/api/anomalies`)).body as { anomalies: Anomaly[] }).anomalies;
      return list.length === 1 ? list : undefined;
    });
    // Its anomaly event reached the stream before the restart.
    await eventually(async () => ((await redis.xlen(first.stream)) === 2 ? true : undefined));
    await first.console.close();
    running.splice(running.indexOf(first.console), 1);
    const second = await start({ learningSeconds: 0, stream: first.stream });
    const status = await eventually(async () => {
      const s = (await get(`${second.url}/api/status`)).body as Status;
      return s.events.read === 2 ? s : undefined;
    });
    expect(status.events.read).toBe(2);
    const after = ((await get(`${second.url}/api/anomalies`)).body as { anomalies: Anomaly[] }).anomalies;
    expect(after.map((a) => a.id)).toEqual(before.map((a) => a.id));
    expect((await get(`${second.url}/api/graph`)).body).toMatchObject({ edges: [{ from: "orders", to: "inventory", requestsTotal: 3 }] });
  });

  it("says so when Redis goes away (503 /readyz, status) and catches up when it returns", async () => {
    const own = await PrivateRedis.start();
    try {
      const { url, stream } = await start({}, own.url);
      await eventually(async () => ((await get(`${url}/readyz`, null)).status === 200 ? true : undefined));
      await own.stop();
      const down = await eventually(async () => {
        const r = await get(`${url}/readyz`, null);
        return r.status === 503 ? r : undefined;
      });
      expect(down.body).toEqual({ status: "not_ready", checks: { accepting: "ok", redis: "failing" } });
      expect(((await get(`${url}/api/status`)).body as Status).redis.connected).toBe(false);
      await own.start();
      const writer = new Redis(own.url);
      await writer.xadd(stream, "*", EVENT_FIELD, event({ event: "gateway.traffic", service: "late", route: "inventory", detail: { seconds: 5, requests: 4 } }));
      writer.disconnect();
      const graph = await eventually(async () => {
        const g = (await get(`${url}/api/graph`)).body as { edges: { from: string }[] };
        return g.edges.length > 0 ? g : undefined;
      }, 10_000);
      expect(graph.edges.map((e) => e.from)).toEqual(["late"]);
      expect(((await get(`${url}/api/status`)).body as Status).redis.connected).toBe(true);
    } finally {
      await own.stop();
    }
  });
});

describe("HTTP", () => {
  it("refuses API calls without a credential (401 + Bearer challenge) or with a wrong one (401 invalid_token), in JSON", async () => {
    const { url } = await start({});
    const none = await get(`${url}/api/graph`, null);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse-console"');
    expect(none.body).toEqual({ error: "invalid_token", error_description: "a Bearer access token is required" });
    const wrong = await get(`${url}/api/events`, "not-the-admin-credential");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse-console", error="invalid_token", error_description="the credential is not valid"');
    expect(wrong.body).toEqual({ error: "invalid_token", error_description: "the credential is not valid" });
    const inQuery = await get(`${url}/api/graph?access_token=${ADMIN}`, null);
    expect(inQuery.status).toBe(400);
    expect(inQuery.body).toEqual({ error: "invalid_request", error_description: "access tokens are accepted only in the Authorization header, not in the query string" });
  });

  it("answers unknown paths 404 and other methods 405 with Allow, in JSON", async () => {
    const { url } = await start({});
    expect(await get(`${url}/api/nothing`)).toMatchObject({ status: 404, body: { error: "not_found" } });
    const post = await fetch(`${url}/api/graph`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(await post.json()).toEqual({ error: "method_not_allowed", error_description: "only GET is served" });
  });

  it("serves the page without data and with a strict content security policy", async () => {
    const { url } = await start({});
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script src="/console.js" defer></script>');
    expect((await fetch(`${url}/console.js`)).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  });
});

describe("with a real auth server", () => {
  const SECRETS = { READER_SECRET: "reader-secret-0123456789abcdef", PEEKER_SECRET: "peeker-secret-0123456789abcdef", GATEHOUSE_ADMIN_TOKEN: ADMIN };
  const registry = {
    keys: { generate: "memory" },
    admin: { enabled: true, onPublicPort: true },
    services: {
      console: { resource: "https://console.internal", scopes: ["gatehouse:console", "console:peek"], auth: { method: "client_secret_basic", secretEnv: "READER_SECRET" } },
      reader: { auth: { method: "client_secret_basic", secretEnv: "READER_SECRET" }, allow: { console: ["gatehouse:console"] } },
      peeker: { auth: { method: "client_secret_basic", secretEnv: "PEEKER_SECRET" }, allow: { console: ["console:peek"] } },
    },
  };
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the marker exists for exactly this: local servers without TLS
  const PLAIN_HTTP = { [oauth.allowInsecureRequests]: true } as const;

  async function authServer() {
    const server = createAuthServer(parseAuthServerConfig(registry, "registry.yaml"), { logger: silent, env: SECRETS });
    const { issuer } = await server.listen(0);
    const as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), { algorithm: "oauth2", ...PLAIN_HTTP }));
    const token = async (clientId: "reader" | "peeker", scope: string) => {
      const client: oauth.Client = { client_id: clientId };
      const secret = clientId === "reader" ? SECRETS.READER_SECRET : SECRETS.PEEKER_SECRET;
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(secret), { resource: "https://console.internal", scope }, PLAIN_HTTP);
      return (await oauth.processClientCredentialsResponse(as, client, response)).access_token;
    };
    return { server, issuer, token };
  }

  it("accepts a Gatehouse token with gatehouse:console and refuses one without it (403 insufficient_scope)", async () => {
    const auth = await authServer();
    try {
      const { url } = await start({ authServer: { issuer: auth.issuer }, access: { audience: "https://console.internal" } });
      expect((await get(`${url}/api/anomalies`, await auth.token("reader", "gatehouse:console"))).status).toBe(200);
      const peek = await get(`${url}/api/anomalies`, await auth.token("peeker", "console:peek"));
      expect(peek.status).toBe(403);
      expect(peek.headers.get("www-authenticate")).toBe(
        'Bearer realm="gatehouse-console", error="insufficient_scope", error_description="the token lacks the gatehouse:console scope", scope="gatehouse:console"',
      );
      expect(peek.body).toEqual({ error: "insufficient_scope", error_description: "the token lacks the gatehouse:console scope" });
      // With the admin credential and the admin API at the issuer, the keys come from /admin/keys.
      const status = await eventually(async () => {
        const s = (await get(`${url}/api/status`)).body as { signingKeys: { source?: string; keys: { kid: string; ageFrom: string; signing?: boolean; ageSeconds: number }[] } };
        return s.signingKeys.keys.length > 0 ? s : undefined;
      });
      expect(status.signingKeys.source).toBe("admin");
      expect(status.signingKeys.keys).toEqual([expect.objectContaining({ ageFrom: "createdAt", signing: true })]);
      expect(status.signingKeys.keys[0]?.ageSeconds).toBeGreaterThanOrEqual(0);
    } finally {
      await auth.server.close();
    }
  });

  it("lists the signing keys' schedule on GET /admin/keys, never key material", async () => {
    const auth = await authServer();
    try {
      const response = await fetch(`${auth.issuer}/admin/keys`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { keys: Record<string, unknown>[] };
      expect(body.keys).toHaveLength(1);
      expect(Object.keys(body.keys[0] ?? {}).sort()).toEqual(["alg", "createdAt", "kid", "published", "retireAt", "signFrom", "signing"]);
      expect(body.keys[0]).toMatchObject({ alg: "ES256", signing: true, published: true, retireAt: null });
      expect((await fetch(`${auth.issuer}/admin/keys`)).status).toBe(401);
    } finally {
      await auth.server.close();
    }
  });

  it("disables the service of a denial burst through the admin API when respond says so, and audits it", async () => {
    const auth = await authServer();
    try {
      const { url, stream } = await start({ authServer: { issuer: auth.issuer }, respond: { denial_burst: "disable" }, detection: { denialBurst: { threshold: 5 } } });
      for (let i = 0; i < 5; i++) await redis.xadd(stream, "*", EVENT_FIELD, event({ event: "gateway.forbidden", service: "peeker", route: "payments", source: "10.0.0.3", detail: { status: 403 } }));
      const anomaly = await eventually(async () => {
        const list = ((await get(`${url}/api/anomalies`)).body as { anomalies: Anomaly[] }).anomalies;
        return list.find((a) => a.kind === "denial_burst" && a.response.outcome === "done");
      });
      expect(anomaly.response).toEqual({ action: "disable", outcome: "done", detail: "HTTP 200" });
      const record = await fetch(`${auth.issuer}/admin/services/peeker`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(await record.json()).toMatchObject({ id: "peeker", disabled: true });
      const audit = await eventually(async () => {
        const entries = await redis.xrange(stream, "-", "+");
        return entries.map(([, f]) => JSON.parse(f[1] ?? "{}") as SecurityEvent).find((e) => e.event === "console.response");
      });
      expect(audit).toMatchObject({ component: "console", service: "peeker", detail: { anomalyId: anomaly.id, kind: "denial_burst", action: "disable", outcome: "done" } });
    } finally {
      await auth.server.close();
    }
  });
});
