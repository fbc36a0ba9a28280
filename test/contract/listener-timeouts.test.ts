// Both services cut slow and idle clients within a second of their configured listener timeouts
// (never before): slowloris clients on raw sockets, one byte a second, against the built binaries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idleAfter, trickle, type CutOff } from "../helpers/slow-client.js";
import { startEstate, TIMEOUTS, type Estate } from "./estate.js";

/** Node's timers and a loaded machine: a deadline may be seen this much early by the client's clock. */
const EARLY_MS = 50;
const WITHIN_MS = 1_000;

let estate: Estate;
beforeAll(async () => {
  estate = await startEstate();
}, 60_000);
afterAll(async () => {
  await estate.close();
  // Cut clients are answered 408 and logged, never a stack trace on stderr.
  expect({ gateway: estate.gateway.binary.stderr, auth: estate.auth.binary.stderr }).toEqual({ gateway: "", auth: "" });
});

function expectCutWithin(cut: CutOff, settingMs: number): void {
  expect(cut.afterMs).toBeGreaterThanOrEqual(settingMs - EARLY_MS);
  expect(cut.afterMs).toBeLessThanOrEqual(settingMs + WITHIN_MS);
}

const giveUp = (settingMs: number) => settingMs + WITHIN_MS + 2_000;

describe.concurrent("listener timeouts of both services", () => {
  const services = [
    {
      name: "gateway",
      port: () => estate.gateway.port,
      slowBody: () => `POST /orders/1 HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${estate.token}\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n`,
      complete: () => `GET /orders/1 HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${estate.token}\r\n\r\n`,
      answered: (text: string) => text.endsWith("done"),
    },
    {
      name: "auth server",
      port: () => estate.auth.port,
      slowBody: () => "POST /token HTTP/1.1\r\nHost: as\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n",
      complete: () => "GET /healthz HTTP/1.1\r\nHost: as\r\n\r\n",
      answered: (text: string) => text.endsWith('{"status":"ok"}'),
    },
  ];

  for (const service of services) {
    it(`${service.name}: a client trickling its headers is cut with 408 within a second of headersTimeoutMs`, async () => {
      const cut = await trickle(service.port(), "GET /orders/1 HTTP/1.1\r\nHost: slow\r\n", "X-Slow: abcdefghij\r\n", giveUp(TIMEOUTS.headersTimeoutMs));
      expectCutWithin(cut, TIMEOUTS.headersTimeoutMs);
      expect(cut.received).toMatch(/^HTTP\/1\.1 408 /);
    });

    it(`${service.name}: a client trickling its body is cut within a second of requestTimeoutMs`, async () => {
      const cut = await trickle(service.port(), service.slowBody(), "grant_type=client_credentials&", giveUp(TIMEOUTS.requestTimeoutMs));
      expectCutWithin(cut, TIMEOUTS.requestTimeoutMs);
      expect(cut.received).toMatch(/^HTTP\/1\.1 408 /);
    });

    it(`${service.name}: an idle keep-alive connection closes within a second of keepAliveTimeoutMs`, async () => {
      const cut = await idleAfter(service.port(), service.complete(), service.answered, giveUp(TIMEOUTS.keepAliveTimeoutMs));
      expect(cut.received).toMatch(/^HTTP\/1\.1 200 /);
      expectCutWithin(cut, TIMEOUTS.keepAliveTimeoutMs);
    });
  }
});
