import { request } from "node:http";
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryLogger, serviceKey, startServer, type ServiceKey, type Started } from "../helpers/server.js";

// A client assertion is only good for this server: its `aud` must be the configured issuer or the
// configured token endpoint URL, never whatever the request's Host header makes the endpoint URL.

let orders: ServiceKey;
let started: Started;
const log = memoryLogger();

beforeAll(async () => {
  orders = await serviceKey("orders-1");
  started = await startServer(
    {
      keys: { generate: "memory" },
      services: {
        orders: { auth: { method: "private_key_jwt", jwks: { keys: [orders.publicJwk] } }, allow: { inventory: ["inventory:read"] } },
        inventory: { resource: "https://inventory.internal", scopes: ["inventory:read"], auth: { method: "private_key_jwt", jwks: { keys: [orders.publicJwk] } } },
      },
    },
    { logger: log.logger },
  );
});

afterAll(async () => {
  await started.server.close();
});

function assertion(aud: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: "orders-1" })
    .setIssuer("orders")
    .setSubject("orders")
    .setAudience(aud)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime("60s")
    .sign(orders.privateKey);
}

/** POST /token over a raw socket, with a Host header of our choosing (fetch cannot set one). */
function postToken(host: string, clientAssertion: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: "orders",
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: clientAssertion,
    resource: "https://inventory.internal",
    scope: "inventory:read",
  }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: started.port,
        method: "POST",
        path: "/token",
        headers: { host, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(form) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on("error", reject);
    req.end(form);
  });
}

describe("client assertion audience", () => {
  it("refuses an assertion for another host's token endpoint even when the request names that host", async () => {
    const answer = await postToken("evil.example", await assertion("http://evil.example/token"));
    expect(answer.status).toBe(401);
    expect(answer.body["error"]).toBe("invalid_client");
    expect(log.lines).toContainEqual(
      expect.objectContaining({ event: "client_auth.failed", client: "orders", reason: "audience (aud) must equal the endpoint url, issuer identifier or token endpoint url" }),
    );
  });

  it("accepts the configured issuer and the configured token endpoint URL, whatever the Host header", async () => {
    expect((await postToken("evil.example", await assertion(started.issuer))).status).toBe(200);
    expect((await postToken("evil.example", await assertion(`${started.issuer}/token`))).status).toBe(200);
    expect((await postToken(new URL(started.issuer).host, await assertion(`${started.issuer}/token`))).status).toBe(200);
  });
});
