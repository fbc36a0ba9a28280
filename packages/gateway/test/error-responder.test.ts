// The outermost error responder trusts only branded gateway errors. A foreign error (an SDK error, an auth server
// style error, a look-alike without the brand or without `headers`) is a bug: answered with a bare 500 on a real
// socket, the request counted as done, and the next request served as usual.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BrandedError, ERROR_BRAND, GatehouseError } from "@gatehouse/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATEWAY_ERROR_CODES, GatewayError, isGatewayError } from "../src/errors.js";
import { createErrorResponder } from "../src/http/error-responder.js";
import { compilePipeline } from "../src/http/pipeline.js";
import { requestIdStep } from "../src/http/request-id.js";
import { captureLogs } from "./helpers/log-capture.js";
import { json, send } from "./helpers/http.js";

/** An error of the auth server's family, with a code the gateway also has. */
class AuthFamilyError extends BrandedError<"server_error"> {
  constructor() {
    super("auth-server", "server_error", 500, "the server could not complete the request");
  }
}

const lookAlike = { code: "invalid_token", status: 401, description: "forged", expose: true };
const lookAlikeError = Object.assign(new Error("forged"), { code: "invalid_token", status: 401, description: "forged", headers: { "x-forged": "1" }, expose: true });

const FOREIGN: readonly (readonly [string, unknown])[] = [
  ["an SDK error of a code the gateway also has", new GatehouseError("invalid_token", "the token has expired")],
  ["an auth server error", new AuthFamilyError()],
  ["a plain object of a gateway error's shape without headers", lookAlike],
  ["an Error of a gateway error's shape, headers included, without the brand", lookAlikeError],
  ["a gateway-branded object without headers", { [ERROR_BRAND]: "gateway", code: "invalid_token", status: 401, description: "x", expose: true }],
  ["a gateway-branded error with a code the gateway does not have", { [ERROR_BRAND]: "gateway", code: "teapot", status: 418, description: "x", headers: {}, expose: true }],
  ["a plain Error", new Error("boom")],
  ["a string", "boom"],
  ["undefined", undefined],
];

describe("isGatewayError", () => {
  it("accepts the gateway's own errors, every code", () => {
    for (const code of GATEWAY_ERROR_CODES) expect(isGatewayError(new GatewayError(code, "x"))).toBe(true);
  });

  it.each(FOREIGN)("rejects %s", (_name, value) => {
    expect(isGatewayError(value)).toBe(false);
  });
});

describe("the error responder on a real socket", () => {
  let server: Server;
  let url: string;
  let inFlight = 0;
  let throwing: unknown;
  const capture = captureLogs();

  beforeAll(async () => {
    // The gateway's own bookkeeping: one more in flight when a request arrives, one less when the pipeline is done.
    const handle = compilePipeline({
      errorHandler: createErrorResponder(capture.logger, { maxBodyBytes: 1024 * 1024 }),
      steps: [
        requestIdStep(() => false),
        () => {
          throw throwing;
        },
      ],
      done: () => {
        inFlight--;
      },
    });
    server = createServer((req, res) => {
      inFlight++;
      void handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(FOREIGN)("answers %s with a bare 500 server_error and finishes the request", async (_name, value) => {
    throwing = value;
    const before = inFlight;
    const answer = await send(url, { headers: { "x-request-id": "req-1" } });
    expect({ status: answer.status, body: json(answer), forged: answer.headers["x-forged"], id: answer.headers["x-request-id"] }).toEqual({
      status: 500,
      body: { error: "server_error", error_description: "the gateway could not handle this request" },
      forged: undefined,
      id: "req-1",
    });
    expect(inFlight - before).toBe(0);
    expect(capture.lines.at(-1)).toMatchObject({ level: 50, requestId: "req-1", msg: "unexpected error in the request pipeline" });
  });

  it("renders a gateway error with its status, headers and description", async () => {
    throwing = new GatewayError("rate_limited", "slow down", { headers: { "retry-after": "3" } });
    const before = inFlight;
    const answer = await send(url);
    expect({ status: answer.status, body: json(answer), retryAfter: answer.headers["retry-after"] }).toEqual({
      status: 429,
      body: { error: "rate_limited", error_description: "slow down" },
      retryAfter: "3",
    });
    expect(inFlight - before).toBe(0);
  });
});
