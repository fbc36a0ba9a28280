import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "../helpers/backend.js";
import { streamEndlessBody } from "../helpers/endless-body.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { json, parseRaw, rawRequest, send } from "../helpers/http.js";

/**
 * Refused requests cannot make the gateway read an unlimited body: an error answer given while
 * the body is still arriving says `Connection: close`, and the connection closes after at most
 * `proxy.maxBodyBytes` more (enforced in `src/http/error-responder.ts` and
 * `src/http/unread-body.ts`). Before, the gateway kept reading an endless chunked body after a
 * 401 (about 19 GiB in 30 s over 4 connections).
 */
const MAX_BODY = 256 * 1024;
/** Far above what sits in loopback socket buffers, far below what an unbounded read reaches. */
const CAP = 64 * 1024 * 1024;
const BOUND = 32 * 1024 * 1024;

const head = (requestLine: string, extra = "Transfer-Encoding: chunked\r\n") => `${requestLine}\r\nHost: gw\r\n${extra}\r\n`;

describe("security: a refused request's body is not read without limit", () => {
  let backend: Backend;
  let gw: RunningGateway;

  beforeAll(async () => {
    backend = await startBackend("orders");
    gw = await startGateway({
      proxy: { maxBodyBytes: MAX_BODY },
      routes: [
        { name: "orders", pathPrefix: "/api/orders", methods: ["GET", "POST"], upstreams: [backend.url], audience: "https://orders.internal" },
        { name: "uploads", pathPrefix: "/uploads", public: true, upstreams: [backend.url], rateLimit: { limit: 1_000, windowSeconds: 60 } },
        { name: "scarce", pathPrefix: "/scarce", public: true, upstreams: [backend.url], rateLimit: { limit: 1, windowSeconds: 3_600 } },
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
  });

  it.each([
    ["401 (no token)", head("POST /api/orders HTTP/1.1"), 401, "invalid_token"],
    ["400 (ambiguous path)", head("POST /api/orders/%2e%2e/admin HTTP/1.1"), 400, "invalid_request"],
    ["404 (no route)", head("POST /nowhere HTTP/1.1"), 404, "not_found"],
    ["405 (method)", head("PUT /api/orders HTTP/1.1"), 405, "method_not_allowed"],
    ["413 (declared length)", head("POST /uploads HTTP/1.1", "Content-Length: 100000000000\r\n"), 413, "payload_too_large"],
    ["413 (chunked body cut at the limit on its way upstream)", head("POST /uploads HTTP/1.1"), 413, "payload_too_large"],
  ])("after a %s it closes the connection within a bounded body", async (_name, requestHead, status, code) => {
    const outcome = await streamEndlessBody(gw.port, requestHead, { capBytes: CAP, timeoutMs: 10_000 });
    expect(outcome.end).toBe("closed");
    expect(outcome.written).toBeLessThan(BOUND);
    // Well before the keep-alive timeout (5 s) would end an idle connection.
    expect(outcome.ms).toBeLessThan(4_000);
    const answer = parseRaw(outcome.received);
    expect(answer.status).toBe(status);
    expect(answer.headers["connection"]).toBe("close");
    expect(JSON.parse(answer.body)).toMatchObject({ error: code });
  });

  it("after a 429 it closes the connection within a bounded body", async () => {
    expect((await send(`${gw.url}/scarce`)).status).toBe(200);
    const outcome = await streamEndlessBody(gw.port, head("POST /scarce HTTP/1.1"), { capBytes: CAP, timeoutMs: 10_000 });
    expect(outcome.end).toBe("closed");
    expect(outcome.written).toBeLessThan(BOUND);
    expect(parseRaw(outcome.received)).toMatchObject({ status: 429, headers: { connection: "close" } });
  });

  it("keeps serving other requests while and after refused bodies stream", async () => {
    const flood = Array.from({ length: 4 }, () => streamEndlessBody(gw.port, head("POST /api/orders HTTP/1.1"), { capBytes: CAP, timeoutMs: 10_000 }));
    const during = await send(`${gw.url}/uploads/x`);
    expect(during.status).toBe(200);
    for (const outcome of await Promise.all(flood)) expect(outcome.end).toBe("closed");
    const after = await send(`${gw.url}/api/orders`);
    expect(after.status).toBe(401);
    expect(json(after)).toEqual({ error: "invalid_token", error_description: "a Bearer access token is required" });
    expect((await send(`${gw.adminUrl}/healthz`)).status).toBe(200);
  });

  it("never asks a refused client for its body (Expect: 100-continue) and closes after the answer", async () => {
    const started = performance.now();
    const raw = await rawRequest(gw.port, "POST /api/orders HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n");
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(raw.startsWith("HTTP/1.1 401 ")).toBe(true);
    const answer = parseRaw(raw);
    expect(answer.headers["connection"]).toBe("close");
    expect(JSON.parse(answer.body)).toEqual({ error: "invalid_token", error_description: "a Bearer access token is required" });
  });

  it("asks an accepted client for its body with 100 Continue and forwards it", async () => {
    backend.seen.length = 0;
    const body = "c".repeat(1_000);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(gw.port, "127.0.0.1");
      let text = "";
      socket.on("data", (data: Buffer) => {
        const before = text;
        text += data.toString("latin1");
        if (!before.includes("100 Continue") && text.startsWith("HTTP/1.1 100 Continue\r\n\r\n")) socket.write(body);
      });
      socket.on("error", reject);
      socket.on("close", () => resolve(text));
      socket.write(`POST /uploads/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: ${String(body.length)}\r\n\r\n`);
    });
    expect(raw.startsWith("HTTP/1.1 100 Continue\r\n\r\n")).toBe(true);
    expect(parseRaw(raw.slice("HTTP/1.1 100 Continue\r\n\r\n".length)).status).toBe(200);
    expect(backend.seen.map((s) => s.body)).toEqual([body]);
    expect(backend.seen[0]?.headers.expect).toBeUndefined();
  });

  it("lets a client whose body fits finish sending, read the whole answer and see a clean close", async () => {
    const body = Buffer.alloc(100_000, "b");
    const result = await new Promise<{ received: string; reset: boolean }>((resolve) => {
      const socket = connect(gw.port, "127.0.0.1");
      const chunks: Buffer[] = [];
      let reset = false;
      let sentBody = false;
      socket.on("data", (data: Buffer) => {
        chunks.push(data);
        // The answer comes before the body is sent: only then send it, as a slow client would.
        if (!sentBody && Buffer.concat(chunks).includes("}")) {
          sentBody = true;
          socket.write(body);
        }
      });
      socket.on("error", () => {
        reset = true;
      });
      socket.on("close", () => resolve({ received: Buffer.concat(chunks).toString("latin1"), reset }));
      socket.write(`POST /api/orders HTTP/1.1\r\nHost: gw\r\nContent-Length: ${String(body.length)}\r\n\r\n`);
    });
    expect(result.reset).toBe(false);
    const answer = parseRaw(result.received);
    expect(answer.status).toBe(401);
    expect(answer.headers["connection"]).toBe("close");
    expect(JSON.parse(answer.body)).toEqual({ error: "invalid_token", error_description: "a Bearer access token is required" });
  });
});
