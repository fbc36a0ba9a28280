import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryLogger, PLAIN_HTTP, startServer, type Started } from "./helpers/server.js";

const SECRET = "payments-secret-0123456789abcdef";
let started: Started;
const log = memoryLogger();

beforeAll(async () => {
  started = await startServer(
    {
      keys: { generate: "memory" },
      http: { proxy: true },
      throttle: { maxFailures: 3, windowSeconds: 60 },
      services: {
        payments: { auth: { method: "client_secret_basic", secretEnv: "PAYMENTS_SECRET" }, allow: { ledger: ["ledger:read"] } },
        reports: { auth: { method: "client_secret_basic", secretEnv: "PAYMENTS_SECRET" }, allow: { ledger: ["ledger:read"] } },
        ledger: { resource: "https://ledger.internal", scopes: ["ledger:read"], auth: { method: "client_secret_basic", secretEnv: "PAYMENTS_SECRET" } },
      },
    },
    { env: { PAYMENTS_SECRET: SECRET }, logger: log.logger },
  );
});

afterAll(async () => {
  await started.server.close();
});

async function ask(clientId: string, secret: string, ip: string) {
  const response = await oauth.clientCredentialsGrantRequest(started.as, { client_id: clientId }, oauth.ClientSecretBasic(secret), { resource: "https://ledger.internal", scope: "ledger:read" }, {
    ...PLAIN_HTTP,
    headers: new Headers({ "x-forwarded-for": ip }),
  });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) };
}

describe("throttling of failed client authentications", () => {
  it("locks a client out after maxFailures wrong secrets, even with the right secret from another address", async () => {
    for (let i = 0; i < 3; i++) expect((await ask("payments", "guess", `198.51.100.${i + 1}`)).status).toBe(401);
    const locked = await ask("payments", SECRET, "198.51.100.50");
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBeGreaterThan(55);
    expect(Number(locked.retryAfter)).toBeLessThanOrEqual(60);
    expect(locked.body).toEqual({ error: "temporarily_unavailable", error_description: "too many failed client authentications; retry later" });
    expect((await ask("reports", SECRET, "198.51.100.50")).status).toBe(200);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ event: "token.refused", client: "payments", error: "temporarily_unavailable", reason: "too many failed client authentications for this client", status: 429 }),
    );
  });

  it("locks an address out after maxFailures failures with unknown clients, whatever client it names next", async () => {
    for (let i = 0; i < 3; i++) expect((await ask(`nobody-${i}`, "guess", "192.0.2.77")).status).toBe(401);
    const locked = await ask("reports", SECRET, "192.0.2.77");
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBeGreaterThan(55);
    expect(locked.body).toEqual({ error: "temporarily_unavailable", error_description: "too many failed client authentications; retry later" });
    expect((await ask("reports", SECRET, "192.0.2.78")).status).toBe(200);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ event: "token.refused", error: "temporarily_unavailable", reason: "too many failed client authentications from this address", remote: "192.0.2.77" }),
    );
  });
});
