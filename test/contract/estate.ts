import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokenSource } from "@gatehouse/sdk";
import { BINARIES, RunningBinary } from "../helpers/binaries.js";

/** The listener timeouts both services are started with in the contract tests. */
export const TIMEOUTS = { headersTimeoutMs: 2_000, requestTimeoutMs: 3_000, keepAliveTimeoutMs: 2_000 } as const;

const SECRETS = { ORDERS_SECRET: "orders-secret-0123456789abcdef0123", CALLER_SECRET: "caller-secret-0123456789abcdef0123" } as const;
export const ORDERS = "https://orders.internal";

/** Both built service binaries, as operators run them: the auth server, a backend, and the gateway in front of it. */
export interface Estate {
  readonly auth: { readonly binary: RunningBinary; readonly port: number; readonly issuer: string };
  readonly gateway: { readonly binary: RunningBinary; readonly port: number; readonly adminPort: number };
  /** A token for `caller` to write orders through the gateway. */
  readonly token: string;
  close(): Promise<void>;
}

/** Starts the auth server and the gateway (built `dist/main.js`, no Redis) with {@link TIMEOUTS}. */
export async function startEstate(): Promise<Estate> {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-contract-"));
  const listener = `listener: { headersTimeoutMs: ${TIMEOUTS.headersTimeoutMs}, requestTimeoutMs: ${TIMEOUTS.requestTimeoutMs}, keepAliveTimeoutMs: ${TIMEOUTS.keepAliveTimeoutMs} }\n`;
  const authFile = join(dir, "services.yaml");
  writeFileSync(
    authFile,
    `keys: { generate: memory }
${listener}services:
  orders:
    resource: ${ORDERS}
    scopes: [orders:write]
    auth: { method: client_secret_basic, secretEnv: ORDERS_SECRET }
  caller:
    auth: { method: client_secret_basic, secretEnv: CALLER_SECRET }
    allow: { orders: [orders:write] }
`,
  );
  const backend = await startBackend();
  const auth = new RunningBinary(BINARIES.authServer, ["--config", authFile, "--port", "0"], { ...SECRETS });
  let gateway: RunningBinary | undefined;
  try {
    const authLine = await auth.waitFor((l) => l["msg"] === "auth server listening");
    const authPort = authLine["port"] as number;
    const issuer = authLine["issuer"] as string;
    const gatewayFile = join(dir, "gateway.yaml");
    writeFileSync(
      gatewayFile,
      `issuer: ${issuer}
${listener}routes:
  - name: orders
    pathPrefix: /orders
    upstreams: ["http://127.0.0.1:${(backend.address() as AddressInfo).port}"]
    audience: ${ORDERS}
    policy: { scopes: [orders:write] }
`,
    );
    gateway = new RunningBinary(BINARIES.gateway, ["--config", gatewayFile, "--port", "0", "--admin-port", "0"]);
    const gatewayLine = await gateway.waitFor((l) => l["msg"] === "gateway listening");
    const tokens = createTokenSource({ issuer, clientId: "caller", auth: { method: "client_secret_basic", clientSecret: SECRETS.CALLER_SECRET } });
    const token = await tokens.getToken({ resource: ORDERS, scopes: ["orders:write"] });
    tokens.close();
    const running = gateway;
    return {
      auth: { binary: auth, port: authPort, issuer },
      gateway: { binary: running, port: gatewayLine["port"] as number, adminPort: gatewayLine["adminPort"] as number },
      token,
      async close() {
        await Promise.all([running.stop(), auth.stop()]);
        backend.closeAllConnections();
        backend.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all([gateway?.stop(), auth.stop()]);
    backend.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** An upstream that reads the whole request body before it answers `done`. */
async function startBackend(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "4" });
      res.end("done");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
