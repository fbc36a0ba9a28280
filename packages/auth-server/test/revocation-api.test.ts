import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, run } from "./helpers/cli.js";
import { memoryLogger, startServer, type Started, adminCall } from "./helpers/server.js";

const ADMIN_TOKEN = "admin-credential-0123456789abcdefghijklmnop";
const env = { GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, ORDERS_SECRET: "orders-secret-0123456789abcdef" };

const config = {
  keys: { generate: "memory" },
  admin: { enabled: true, onPublicPort: true },
  revocation: { heartbeatSeconds: 1 },
  tokens: { ttlSeconds: 300 },
  services: {
    orders: { auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" }, allow: { inventory: ["inventory:read"] }, attributes: { team: "checkout" } },
    inventory: { resource: "https://inventory.internal", scopes: ["inventory:read"], auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" }, tokenTtlSeconds: 900 },
  },
};

let started: Started;
let log: ReturnType<typeof memoryLogger>;

beforeAll(async () => {
  log = memoryLogger();
  started = await startServer(config, { env, logger: log.logger });
});

afterAll(async () => {
  await started.server.close();
});

async function admin(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN) {
  const answer = await adminCall(started.issuer, method, path, body, token);
  return { ...answer, body: answer.body as Record<string, unknown> };
}

describe("POST /admin/revocations", () => {
  it.each([
    [{ service: "ghost" }, 'service: unknown service "ghost"'],
    [{ jti: "not a jti!" }, "jti: must be 1-256 characters of A-Z a-z 0-9 _ . : -"],
    [{ kid: "no-such-key" }, 'kid: no signing key "no-such-key" is loaded'],
    [{ jti: "abc", service: "orders" }, 'set exactly one of "jti", "service", "kid"'],
    [{}, 'set exactly one of "jti", "service", "kid"'],
    [{ service: "orders", until: 5 }, "until: unknown option (check the spelling against the documented options)"],
  ])("refuses %j with 400 invalid_request and the reason", async (body, reason) => {
    const result = await admin("POST", "/admin/revocations", body);
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: "invalid_request", error_description: reason });
  });

  it("refuses a body that is not JSON with 400, and a call without the credential with 401", async () => {
    expect((await admin("POST", "/admin/revocations", "{")).body).toEqual({ error: "invalid_request", error_description: "the body is not valid JSON" });
    const refused = await admin("POST", "/admin/revocations", { service: "orders" }, null);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse-admin"');
  });

  it("records a service revocation until the longest token lifetime has passed, audits it with its actor and lists it", async () => {
    const before = Math.floor(Date.now() / 1000);
    const result = await admin("POST", "/admin/revocations", { service: "orders", reason: "compromised" });
    expect(result.status).toBe(201);
    const issuedBefore = result.body["issuedBefore"] as number;
    const revokedAt = result.body["revokedAt"] as number;
    expect(revokedAt - before).toBeLessThanOrEqual(1);
    // The first whole second at least 200 ms ahead.
    expect([revokedAt + 1, revokedAt + 2]).toContain(issuedBefore);
    // The longest lifetime is inventory's 900 s, plus the 5 s clock tolerance.
    expect(result.body).toEqual({
      id: expect.stringMatching(/^\d+-\d+$/) as unknown,
      kind: "service",
      value: "orders",
      revokedAt,
      issuedBefore,
      until: issuedBefore + 905,
      actor: "admin-credential",
      reason: "compromised",
    });
    expect(log.lines).toContainEqual(
      expect.objectContaining({ audit: true, event: "revocation.created", kind: "service", value: "orders", actor: "admin-credential", cause: "admin", reason: "compromised" }),
    );
    const listed = await admin("GET", "/admin/revocations");
    expect(listed.status).toBe(200);
    expect(listed.body["revocations"]).toContainEqual({ kind: "service", value: "orders", revokedAt, issuedBefore, until: issuedBefore + 905, actor: "admin-credential", cause: "admin", reason: "compromised" });
  });
});

describe("GET /revocations", () => {
  it("refuses a subscriber without a credential with 401 and a Bearer challenge", async () => {
    const response = await fetch(`${started.issuer}/revocations`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse-admin"');
    expect(await response.json()).toEqual({ error: "invalid_token", error_description: "the admin API requires a bearer credential" });
  });

  it("streams a signed snapshot, then each new revocation as a signed CAEP event, verifiable with the published JWKS", async () => {
    const jwks = createLocalJWKSet((await (await fetch(`${started.issuer}/jwks`)).json()) as { keys: [] });
    const controller = new AbortController();
    const response = await fetch(`${started.issuer}/revocations`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const nextEvent = async (): Promise<{ id: string; event: string; data: string }> => {
      for (;;) {
        const match = /(?:^|\n\n)(id: .*\nevent: .*\ndata: .*)\n\n/.exec(text);
        if (match?.[1] !== undefined) {
          text = text.slice((match.index) + match[0].length);
          const [id, event, data] = match[1].split("\n").map((line) => line.slice(line.indexOf(": ") + 2));
          return { id: id ?? "", event: event ?? "", data: data ?? "" };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        text += decoder.decode(value, { stream: true });
      }
    };
    const snapshot = await nextEvent();
    expect(snapshot.event).toBe("snapshot");
    const verified = await jwtVerify(snapshot.data, jwks, { typ: "secevent+jwt", issuer: started.issuer });
    expect(decodeProtectedHeader(snapshot.data).typ).toBe("secevent+jwt");
    const body = (verified.payload["events"] as Record<string, { revocations: unknown[] }>)["urn:gatehouse:secevent:revocation-snapshot"];
    expect(body?.revocations).toContainEqual(expect.objectContaining({ kind: "service", value: "orders" }));

    const added = await admin("POST", "/admin/revocations", { jti: "Vg2yQbdE0z1H6hQpM0l3nZ7c5Xr8sWk4TfJaYuIoPeD" });
    const delta = await nextEvent();
    expect(delta).toMatchObject({ id: added.body["id"], event: "revocation" });
    const event = await jwtVerify(delta.data, jwks, { typ: "secevent+jwt", issuer: started.issuer });
    expect(event.payload["events"]).toEqual({
      "https://schemas.openid.net/secevent/caep/event-type/session-revoked": {
        subject: { format: "jwt_id", iss: started.issuer, jti: "Vg2yQbdE0z1H6hQpM0l3nZ7c5Xr8sWk4TfJaYuIoPeD" },
        event_timestamp: added.body["revokedAt"],
        initiating_entity: "admin",
        "urn:gatehouse:revocation": { kind: "jti", value: "Vg2yQbdE0z1H6hQpM0l3nZ7c5Xr8sWk4TfJaYuIoPeD", revokedAt: added.body["revokedAt"], until: added.body["until"] },
      },
    });
    controller.abort();

    // Resuming after the snapshot's id replays exactly the delta, no snapshot.
    const resumed = await fetch(`${started.issuer}/revocations`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "last-event-id": snapshot.id } });
    const resumedReader = (resumed.body as ReadableStream<Uint8Array>).getReader();
    let resumedText = "";
    while (!resumedText.includes("event: revocation")) resumedText += decoder.decode((await resumedReader.read()).value);
    expect(resumedText).not.toContain("event: snapshot");
    expect(resumedText).toContain(`id: ${String(added.body["id"])}`);
    await resumedReader.cancel();
  });
});

describe("gatehouse-auth revoke / revocations", () => {
  it("cuts off a service in one command, lists it, and reports the server's 400 for an unknown one", async () => {
    const cliEnv = { GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN };
    const done = await run(CLI, ["revoke", "--url", started.issuer, "--service", "inventory", "--reason", "incident 7"], cliEnv);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ kind: "service", value: "inventory", actor: "admin-credential", reason: "incident 7" });
    const listed = await run(CLI, ["revocations", "--url", started.issuer], cliEnv);
    expect((JSON.parse(listed.stdout) as { revocations: unknown[] }).revocations).toContainEqual(expect.objectContaining({ kind: "service", value: "inventory" }));
    const unknown = await run(CLI, ["revoke", "--url", started.issuer, "--service", "ghost"], cliEnv);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('gatehouse-auth: 400 {"error":"invalid_request","error_description":"service: unknown service \\"ghost\\""}');
    const twoTargets = await run(CLI, ["revoke", "--url", started.issuer, "--service", "orders", "--jti", "abc"], cliEnv);
    expect(twoTargets.code).toBe(64);
  });
});
