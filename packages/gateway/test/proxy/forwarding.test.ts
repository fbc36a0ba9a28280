import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "../helpers/backend.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { json, parseRaw, rawRequest, send } from "../helpers/http.js";

const publicRoute = (name: string, pathPrefix: string, upstreams: string[], extra: Record<string, unknown> = {}) => ({
  name,
  pathPrefix,
  public: true,
  upstreams,
  rateLimit: { limit: 10_000, windowSeconds: 60 },
  ...extra,
});

describe("proxy: forwarding and header rules (public routes, real backends)", () => {
  let backend: Backend;
  let slow: Backend;
  let gw: RunningGateway;

  beforeAll(async () => {
    backend = await startBackend("orders", (_req, res, seen) => {
      if (seen.url.startsWith("/big")) {
        const body = "x".repeat(200_000);
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(body);
        return;
      }
      const body = JSON.stringify({ echo: seen.url });
      res.writeHead(201, {
        "content-type": "application/json",
        "x-backend": "orders",
        connection: "x-backend-secret",
        "x-backend-secret": "hop",
      });
      res.end(body);
    });
    slow = await startBackend("slow", (_req, res) => {
      setTimeout(() => {
        if (!res.destroyed) res.end("late");
      }, 1_500);
    });
    gw = await startGateway({
      proxy: { responseTimeoutMs: 300, maxBodyBytes: 1_000 },
      routes: [
        publicRoute("orders", "/api/orders", [backend.url]),
        publicRoute("big", "/big", [backend.url]),
        publicRoute("stripped", "/svc/token", [`${backend.url}/oauth`], { stripPrefix: true }),
        publicRoute("down", "/down", ["http://127.0.0.1:9"]),
        publicRoute("slow", "/slow", [slow.url]),
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
    await backend.close();
    await slow.close();
  });

  it("forwards the canonical path and query with the gateway's own forwarding headers", async () => {
    backend.seen.length = 0;
    const answer = await send(`${gw.url}/api/orders/%6Frder-1?x=%2F1&y`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "req-123", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
      body: '{"qty":1}',
    });
    expect(answer.status).toBe(201);
    expect(json(answer)).toEqual({ echo: "/api/orders/order-1?x=%2F1&y" });
    expect(answer.headers["x-request-id"]).toBe("req-123");
    expect(answer.headers["x-backend"]).toBe("orders");
    const seen = backend.seen[0]!;
    expect(seen.method).toBe("POST");
    expect(seen.body).toBe('{"qty":1}');
    expect(seen.headers).toMatchObject({
      "x-forwarded-for": "127.0.0.1",
      "x-forwarded-proto": "http",
      "x-forwarded-host": `127.0.0.1:${String(gw.port)}`,
      "x-request-id": "req-123",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "content-type": "application/json",
    });
    expect(seen.headers["x-gatehouse-service"]).toBeUndefined();
  });

  it("replaces an ill-formed incoming request id with a fresh one", async () => {
    const answer = await send(`${gw.url}/api/orders`, { headers: { "x-request-id": "bad id with spaces" } });
    expect(answer.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("drops client-sent identity, forwarding and proxy headers", async () => {
    backend.seen.length = 0;
    await send(`${gw.url}/api/orders`, {
      headers: {
        "x-gatehouse-service": "admin",
        "X-Gatehouse-Scopes": "everything",
        "x-gatehouse-anything": "1",
        "x-forwarded-for": "10.9.9.9",
        "x-forwarded-host": "evil.example",
        "x-forwarded-proto": "https",
        forwarded: "for=10.9.9.9",
        "x-real-ip": "10.9.9.9",
        "proxy-authorization": "Basic Zm9vOmJhcg==",
      },
    });
    const headers = backend.seen[0]!.headers;
    for (const name of ["x-gatehouse-service", "x-gatehouse-scopes", "x-gatehouse-anything", "forwarded", "x-real-ip", "proxy-authorization"]) {
      expect(headers[name]).toBeUndefined();
    }
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(headers["x-forwarded-proto"]).toBe("http");
    expect(headers["x-forwarded-host"]).toBe(`127.0.0.1:${String(gw.port)}`);
  });

  it("removes headers named in Connection but never the ones the gateway sets", async () => {
    backend.seen.length = 0;
    const raw = await rawRequest(
      gw.port,
      "GET /api/orders HTTP/1.1\r\nHost: gw\r\nConnection: close, x-foo, x-forwarded-for, x-request-id, keep-alive\r\n" +
        "X-Foo: secret\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: websocket\r\nX-Kept: yes\r\n\r\n",
    );
    expect(parseRaw(raw).status).toBe(201);
    const seen = backend.seen[0]!;
    expect(seen.headers["x-foo"]).toBeUndefined();
    expect(seen.headers["keep-alive"]).toBeUndefined();
    expect(seen.headers["te"]).toBeUndefined();
    expect(seen.headers.upgrade).toBeUndefined();
    expect(seen.headers["x-kept"]).toBe("yes");
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("removes hop-by-hop headers of the backend's response, and those its Connection names", async () => {
    const answer = await send(`${gw.url}/api/orders`);
    expect(answer.headers["x-backend-secret"]).toBeUndefined();
    expect(answer.headers["x-backend"]).toBe("orders");
  });

  it("forwards a WebSocket upgrade request as a plain request, without Upgrade", async () => {
    backend.seen.length = 0;
    const raw = await rawRequest(
      gw.port,
      "GET /api/orders/chat HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    expect(parseRaw(raw).status).toBe(201);
    const headers = backend.seen[0]!.headers;
    expect(headers.upgrade).toBeUndefined();
    expect(headers.connection).toBe("keep-alive");
  });

  it("survives a request with a Trailer header and trailers, and keeps serving", async () => {
    backend.seen.length = 0;
    const raw = await rawRequest(
      gw.port,
      "POST /api/orders HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n" +
        "5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n",
    );
    expect(parseRaw(raw).status).toBe(201);
    const seen = backend.seen[0]!;
    expect(seen.body).toBe("hello");
    expect(seen.headers.trailer).toBeUndefined();
    expect((await send(`${gw.url}/api/orders`)).status).toBe(201);
  });

  it("relays a response larger than one write intact", async () => {
    const answer = await send(`${gw.url}/big`);
    expect(answer.status).toBe(200);
    expect(answer.body).toBe("x".repeat(200_000));
  });

  it("strips the route prefix and prepends the upstream's base path when asked", async () => {
    backend.seen.length = 0;
    const answer = await send(`${gw.url}/svc/token/x?grant=1`, { method: "POST", body: "a=b", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(answer.status).toBe(201);
    expect(backend.seen[0]!.url).toBe("/oauth/x?grant=1");
  });

  it("answers 502 with a JSON body when the backend is down", async () => {
    const answer = await send(`${gw.url}/down`);
    expect(answer.status).toBe(502);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(json(answer)).toEqual({ error: "bad_gateway", error_description: "the upstream could not be reached or broke off the response" });
  });

  it("answers 504 with a JSON body when the backend does not answer in time", async () => {
    const answer = await send(`${gw.url}/slow`);
    expect(answer.status).toBe(504);
    expect(json(answer)).toEqual({ error: "gateway_timeout", error_description: "the upstream did not respond in time" });
  });

  it("answers 413 for a declared body over the limit, and the backend receives nothing", async () => {
    backend.seen.length = 0;
    const answer = await send(`${gw.url}/api/orders`, { method: "POST", body: "x".repeat(1_001) });
    expect(answer.status).toBe(413);
    expect(json(answer)).toEqual({ error: "payload_too_large", error_description: "the request body is larger than 1000 bytes" });
    expect(backend.seen).toHaveLength(0);
  });

  it("answers 413 for a chunked body that grows over the limit", async () => {
    const raw = await rawRequest(
      gw.port,
      "POST /api/orders HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n" +
        `3e8\r\n${"y".repeat(1_000)}\r\n3e8\r\n${"y".repeat(1_000)}\r\n0\r\n\r\n`,
    );
    const answer = parseRaw(raw);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ error: "payload_too_large", error_description: "the request body is larger than 1000 bytes" });
  });

  it.each([
    ["/api/orders/%2e%2e/admin", "the path contains a '.' or '..' segment"],
    ["/api/orders%2F..%2Fadmin", "the path contains an encoded '/' (%2F)"],
    ["/api//orders", "the path contains an empty segment ('//')"],
    ["/api/orders;x=1", "the path contains a ';' parameter"],
    ["/API/orders", "the path matches a route only when letter case is ignored"],
  ])("refuses the bypass attempt %s with 400 before any backend sees it", async (path, description) => {
    backend.seen.length = 0;
    const raw = await rawRequest(gw.port, `GET ${path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`);
    const answer = parseRaw(raw);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: "invalid_request", error_description: description });
    expect(backend.seen).toHaveLength(0);
  });

  it("answers 404 for a path no route matches", async () => {
    const answer = await send(`${gw.url}/nothing/here`);
    expect(answer.status).toBe(404);
    expect(json(answer)).toEqual({ error: "not_found", error_description: "no route matches this path" });
  });

  it("refuses a request with two Host headers", async () => {
    const raw = await rawRequest(gw.port, "GET /api/orders HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n");
    expect(parseRaw(raw).status).toBe(400);
  });
});

describe("proxy: round-robin with passive health", () => {
  it("spreads requests over the targets and skips one that refuses connections", async () => {
    const a = await startBackend("a");
    const b = await startBackend("b");
    const gw = await startGateway({
      routes: [publicRoute("pool", "/pool", [a.url, b.url, "http://127.0.0.1:9"])],
    });
    try {
      const bodies: unknown[] = [];
      for (let i = 0; i < 6; i++) {
        const answer = await send(`${gw.url}/pool`);
        expect(answer.status).toBe(200);
        bodies.push(json(answer));
      }
      expect(a.seen.length).toBeGreaterThanOrEqual(2);
      expect(b.seen.length).toBeGreaterThanOrEqual(2);
      expect(a.seen.length + b.seen.length).toBe(6);
    } finally {
      await gw.close();
      await a.close();
      await b.close();
    }
  });
});

describe("proxy: retries", () => {
  it("never retries a POST on another target, but skips the failed target afterwards", async () => {
    const up = await startBackend("up");
    const gw = await startGateway({ routes: [publicRoute("pair", "/pair", ["http://127.0.0.1:9", up.url])] });
    try {
      const first = await send(`${gw.url}/pair`, { method: "POST", body: "order" });
      expect(first.status).toBe(502);
      expect(up.seen).toHaveLength(0);
      // The refused target now cools down: the next POST and GETs go to the healthy one.
      expect((await send(`${gw.url}/pair`, { method: "POST", body: "order" })).status).toBe(200);
      expect((await send(`${gw.url}/pair`)).status).toBe(200);
      expect(up.seen.map((s) => s.method)).toEqual(["POST", "GET"]);
    } finally {
      await gw.close();
      await up.close();
    }
  });
});
