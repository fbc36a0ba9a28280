// The checks of `pnpm test:compose`, run by scripts/compose-test.sh once every container of the
// stack is healthy: the hardening of each running container as the engine reports it
// (`docker inspect`, `docker top`, `docker exec`), then the operator's walkthrough through the
// published gateway port. Prints one line per check and a closing "N passed, N failed" line; exits
// non-zero when any check failed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} must be set (scripts/compose-test.sh sets it)`);
  return value;
}

const project = required("COMPOSE_PROJECT_NAME");
// HTTPS under the stack's CA: scripts/compose-test.sh runs this with NODE_EXTRA_CA_CERTS=<secrets>/ca.crt. The
// gateway's certificate names `localhost` (its registered dnsNames) and its SPIFFE ID.
const gatewayUrl = `https://localhost:${required("GATEHOUSE_HTTP_PORT")}`;
const adminUrl = `http://127.0.0.1:${required("GATEHOUSE_ADMIN_PORT")}`;
const consoleUrl = `http://127.0.0.1:${required("GATEHOUSE_CONSOLE_PORT")}`;
const secretsDir = required("GATEHOUSE_SECRETS_DIR");

/** The services of docker-compose.yml; the gateway and the console are the only ones that publish ports. */
const SERVICES = ["redis", "auth-server", "gateway", "console", "orders", "inventory"] as const;
const NODE_SERVICES = ["auth-server", "gateway", "console", "orders", "inventory"] as const;
/** What each publishing service publishes, all on 127.0.0.1. */
const PUBLISHED: Readonly<Record<string, readonly string[]>> = {
  gateway: [`127.0.0.1:${new URL(gatewayUrl).port}->8080/tcp`, `127.0.0.1:${new URL(adminUrl).port}->9090/tcp`],
  console: [`127.0.0.1:${new URL(consoleUrl).port}->9400/tcp`],
};

interface PortBinding {
  readonly HostIp: string;
  readonly HostPort: string;
}

interface ContainerInfo {
  readonly Name: string;
  readonly Config: {
    readonly User: string;
    readonly Env: readonly string[] | null;
    readonly Cmd: readonly string[] | null;
    readonly Entrypoint: readonly string[] | null;
    readonly Labels: Readonly<Record<string, string>>;
  };
  readonly HostConfig: {
    readonly ReadonlyRootfs: boolean;
    readonly CapDrop: readonly string[] | null;
    readonly CapAdd: readonly string[] | null;
    readonly SecurityOpt: readonly string[] | null;
    readonly Privileged: boolean;
    readonly Memory: number;
    readonly PidsLimit: number | null;
    readonly RestartPolicy: { readonly Name: string };
  };
  readonly NetworkSettings: {
    readonly Ports: Readonly<Record<string, readonly PortBinding[] | null>> | null;
    readonly Networks: Readonly<Record<string, unknown>>;
  };
  readonly State: { readonly Status: string; readonly Health?: { readonly Status: string } };
}

function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function containers(): Map<string, { id: string; info: ContainerInfo }> {
  const ids = docker("ps", "-q", "--filter", `label=com.docker.compose.project=${project}`).split("\n").filter(Boolean);
  assert.ok(ids.length > 0, `no containers of project ${project}`);
  const infos = JSON.parse(docker("inspect", ...ids)) as ContainerInfo[];
  const byService = new Map<string, { id: string; info: ContainerInfo }>();
  infos.forEach((info, index) => {
    const service = info.Config.Labels["com.docker.compose.service"] ?? info.Name;
    assert.ok(!byService.has(service), `two containers run service ${service}`);
    byService.set(service, { id: ids[index] ?? "", info });
  });
  return byService;
}

const results: { name: string; error?: unknown }[] = [];
const say = (line: string) => process.stdout.write(`${line}\n`);

async function check(name: string, body: () => unknown): Promise<void> {
  try {
    await body();
    results.push({ name });
    say(`  ok    ${name}`);
  } catch (error) {
    results.push({ name, error });
    say(`  FAIL  ${name}\n        ${(error instanceof Error ? error.message : String(error)).split("\n").join("\n        ")}`);
  }
}

/** The non-empty secret values of the secrets folder (the JWK `d`s, whole files otherwise; the ACL file holds only hashes). */
function secretValues(): string[] {
  const values: string[] = [];
  for (const file of readdirSync(secretsDir)) {
    const text = readFileSync(join(secretsDir, file), "utf8").trim();
    if (file.endsWith(".acl")) {
      continue;
    } else if (file.endsWith(".json")) {
      for (const match of text.matchAll(/"d":\s*"([^"]+)"/g)) if (match[1] !== undefined) values.push(match[1]);
    } else {
      values.push(text);
    }
  }
  return values.filter((v) => v.length >= 16);
}

// ---------------------------------------------------------------------------------------------
say("compose-test: hardening of every running container");
const running = containers();

await check(`one running container per service (${SERVICES.join(", ")})`, () => {
  assert.deepEqual([...running.keys()].sort(), [...SERVICES].sort());
});

for (const [service, { id, info }] of running) {
  const host = info.HostConfig;
  await check(`${service}: healthy, with restart policy unless-stopped`, () => {
    assert.equal(info.State.Health?.Status, "healthy");
    assert.equal(host.RestartPolicy.Name, "unless-stopped");
  });
  await check(`${service}: read-only root file system`, () => assert.equal(host.ReadonlyRootfs, true));
  await check(`${service}: every capability dropped, none added, not privileged`, () => {
    assert.deepEqual(host.CapDrop, ["ALL"]);
    assert.ok(host.CapAdd === null || host.CapAdd.length === 0, `cap_add: ${JSON.stringify(host.CapAdd)}`);
    assert.equal(host.Privileged, false);
  });
  await check(`${service}: no-new-privileges`, () => assert.ok(host.SecurityOpt?.includes("no-new-privileges:true")));
  await check(`${service}: memory and process limits`, () => {
    assert.ok(host.Memory > 0, "no memory limit");
    assert.ok((host.PidsLimit ?? 0) > 0, "no pids limit");
  });
  await check(`${service}: configured and running as a non-root user`, () => {
    assert.match(info.Config.User, /^[1-9]\d*:[1-9]\d*$/);
    // `docker top` runs ps on the host: the uids the container's processes really have.
    const uids = docker("top", id, "-eo", "pid,uid").split("\n").slice(1).map((l) => l.trim().split(/\s+/)[1]).filter(Boolean);
    assert.ok(uids.length > 0, "docker top listed no process");
    assert.deepEqual([...new Set(uids)], [info.Config.User.split(":")[0]]);
  });
  const publishes = PUBLISHED[service];
  await check(`${service}: ${publishes === undefined ? "publishes no port" : "publishes its ports on 127.0.0.1 only"}`, () => {
    const published = Object.entries(info.NetworkSettings.Ports ?? {}).flatMap(([port, bindings]) =>
      (bindings ?? []).map((b) => `${b.HostIp}:${b.HostPort}->${port}`),
    );
    assert.deepEqual(published.sort(), [...(publishes ?? [])].sort());
  });
  await check(`${service}: ${publishes === undefined ? "only on internal networks" : "on the internal and the edge network"}`, () => {
    const networks = Object.keys(info.NetworkSettings.Networks).sort();
    const internal = networks.map((name) => JSON.parse(docker("network", "inspect", "--format", "{{json .Internal}}", name)) as boolean);
    if (publishes !== undefined) {
      assert.deepEqual(networks, [`${project}_edge`, `${project}_internal`]);
      assert.deepEqual(internal, [false, true]);
    } else {
      assert.deepEqual(networks, [`${project}_internal`]);
      assert.deepEqual(internal, [true]);
    }
  });
}

await check("no secret value appears in any container's environment or command line", () => {
  const secrets = secretValues();
  assert.ok(secrets.length >= 6, `found only ${secrets.length} secret values in ${secretsDir}`);
  for (const [service, { info }] of running) {
    const exposed = [...(info.Config.Env ?? []), ...(info.Config.Cmd ?? []), ...(info.Config.Entrypoint ?? [])].join("\n");
    for (const secret of secrets) assert.ok(!exposed.includes(secret), `${service} carries a secret in its environment or command`);
  }
});

for (const service of NODE_SERVICES) {
  const entry = running.get(service);
  await check(`${service}: writing to /app fails with EROFS, /tmp is writable`, () => {
    assert.ok(entry !== undefined);
    const probe = [
      "const fs = require('fs');",
      "const result = [];",
      "try { fs.writeFileSync('/app/probe', 'x'); result.push('written'); } catch (e) { result.push(e.code); }",
      "fs.writeFileSync('/tmp/probe', 'x'); fs.unlinkSync('/tmp/probe'); result.push('tmp ok');",
      "console.log(result.join(' '));",
    ].join(" ");
    assert.equal(docker("exec", entry.id, "node", "-e", probe).trim(), "EROFS tmp ok");
  });
}

// ---------------------------------------------------------------------------------------------
say("compose-test: the walkthrough through the published gateway port");
const clientSecret = readFileSync(join(secretsDir, "demo-cli.secret"), "utf8").trim();
let token = "";
let ordersCalls = 0;
let firstOrdersCall = 0;

async function body(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

await check("1. demo-cli gets a token for orders from the gateway's public token route", async () => {
  const response = await fetch(`${gatewayUrl}/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`demo-cli:${clientSecret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: "https://orders.internal", scope: "orders:read" }),
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await body(response)) as Record<string, unknown>;
  assert.equal(response.status, 200, JSON.stringify(json));
  assert.equal(typeof json["access_token"], "string");
  token = json["access_token"] as string;
  assert.deepEqual({ ...json, access_token: "…" }, { access_token: "…", token_type: "Bearer", expires_in: 300, scope: "orders:read" });
  const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  assert.equal(payload["iss"], "https://auth-server:4000");
  assert.equal(payload["aud"], "https://orders.internal");
  assert.equal(payload["client_id"], "demo-cli");
});

await check("2. GET /api/orders/42 with the token: 200, orders answered with inventory's item fetched through the gateway", async () => {
  firstOrdersCall = Date.now();
  const response = await fetch(`${gatewayUrl}/api/orders/42`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  ordersCalls++;
  assert.deepEqual({ status: response.status, body: await body(response) }, {
    status: 200,
    body: {
      order: { id: "42", sku: "widget", quantity: 2, status: "placed" },
      inventory: { item: { sku: "widget", name: "Widget", onHand: 100, reserved: 0 }, servedTo: "orders" },
      requestedBy: "demo-cli",
    },
  });
});

await check("3. no token: 401 with a Bearer challenge", async () => {
  const response = await fetch(`${gatewayUrl}/api/orders/42`, { signal: AbortSignal.timeout(10_000) });
  assert.deepEqual(
    { status: response.status, challenge: response.headers.get("www-authenticate"), body: await body(response) },
    { status: 401, challenge: 'Bearer realm="gatehouse"', body: { error: "invalid_token", error_description: "a Bearer access token is required" } },
  );
});

await check("4. POST /api/orders with a token lacking orders:write: 403 insufficient_scope", async () => {
  const response = await fetch(`${gatewayUrl}/api/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ sku: "widget", quantity: 1 }),
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await body(response)) as Record<string, unknown>;
  assert.equal(response.status, 403, JSON.stringify(json));
  assert.deepEqual(Object.keys(json).sort(), ["error", "error_description"]);
  assert.equal(json["error"], "insufficient_scope");
  assert.equal(
    response.headers.get("www-authenticate"),
    `Bearer realm="gatehouse", error="insufficient_scope", error_description="${String(json["error_description"])}", scope="orders:write"`,
  );
});

/** A client_credentials token from the gateway's public token route. */
async function clientToken(clientId: string, secret: string, resource: string, scope: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource, scope }),
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await body(response)) as Record<string, unknown>;
  assert.equal(response.status, 200, JSON.stringify(json));
  return json["access_token"] as string;
}

await check("5. the operator revokes demo-cli with one command (gatehouse-auth revoke in the auth server's container): its old token is refused 401 within a second, a new one works", async () => {
  const operatorSecret = readFileSync(join(secretsDir, "operator.secret"), "utf8").trim();
  const adminToken = await clientToken("operator", operatorSecret, "https://gatehouse.internal/admin", "gatehouse:admin");
  const auth = running.get("auth-server");
  assert.ok(auth !== undefined);
  // The admin token travels in the exec's environment (`-e NAME` without a value takes it from ours), never on a command line.
  const answer = execFileSync(
    "docker",
    ["exec", "-e", "GATEHOUSE_ADMIN_TOKEN", auth.id, "node", "/app/dist/cli.js", "revoke", "--url", "http://127.0.0.1:4001", "--service", "demo-cli", "--reason", "compose-test"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GATEHOUSE_ADMIN_TOKEN: adminToken } },
  );
  const revokedAt = Date.now();
  assert.deepEqual(Object.entries(JSON.parse(answer) as Record<string, unknown>).filter(([key]) => ["kind", "value", "reason"].includes(key)), [
    ["kind", "service"],
    ["value", "demo-cli"],
    ["reason", "compose-test"],
  ]);
  let refused: Response | undefined;
  // Every 100 ms, so that the calls still accepted meanwhile stay well below demo-cli's rate limit.
  while (refused === undefined && Date.now() - revokedAt < 1000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const response = await fetch(`${gatewayUrl}/api/orders/42`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    if (response.status === 401) refused = response;
    else {
      ordersCalls++;
      await response.arrayBuffer();
    }
  }
  assert.ok(refused !== undefined, "the revoked token was still accepted a second after the revocation");
  assert.match(refused.headers.get("www-authenticate") ?? "", /^Bearer realm="gatehouse", error="invalid_token"/);
  assert.equal(((await body(refused)) as Record<string, unknown>)["error"], "invalid_token");
  // A service revocation covers tokens issued before the next whole second; the next one is not covered.
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 50));
  token = await clientToken("demo-cli", clientSecret, "https://orders.internal", "orders:read");
  const response = await fetch(`${gatewayUrl}/api/orders/42`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  ordersCalls++;
  const json = await body(response);
  assert.equal(response.status, 200, JSON.stringify(json));
  assert.equal((json as Record<string, unknown>)["requestedBy"], "demo-cli");
});

await check("6. over the limit (10 a minute for demo-cli on orders-read): 429 with Retry-After, exactly at the limit", async () => {
  const statuses: number[] = [];
  let limited: Response | undefined;
  for (let i = 0; i < 20 && limited === undefined; i++) {
    const response = await fetch(`${gatewayUrl}/api/orders/42`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    statuses.push(response.status);
    if (response.status === 429) limited = response;
    else await response.arrayBuffer();
  }
  // GCRA: 10 at once, then one more every 6 s; a slow machine may have earned one back since step 2.
  const earned = Math.floor((Date.now() - firstOrdersCall) / 6000);
  const passed = statuses.filter((status) => status === 200).length;
  assert.ok(passed >= 10 - ordersCalls && passed <= 10 - ordersCalls + earned, `statuses ${statuses.join(" ")}`);
  assert.deepEqual(statuses, [...Array<number>(passed).fill(200), 429]);
  assert.ok(limited !== undefined);
  assert.match(limited.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
  assert.equal(limited.headers.get("ratelimit-policy"), '"orders-read";q=10;w=60');
  assert.match(limited.headers.get("ratelimit") ?? "", /^"orders-read";r=0;t=\d+$/);
  assert.deepEqual(await body(limited), { error: "rate_limited", error_description: "the rate limit of this route is exhausted; retry later" });
});

await check("a backend port refuses a TLS client that is not the gateway (no certificate: handshake alert certificate_required, logged as tls.refused)", () => {
  // From inside the internal network (the orders container), against inventory and orders themselves.
  const orders = running.get("orders");
  assert.ok(orders !== undefined);
  const probe = (host: string, port: number) =>
    [
      "const tls = require('tls'), fs = require('fs');",
      `const s = tls.connect({ host: '${host}', port: ${port}, ca: fs.readFileSync('/run/secrets/trust_bundle'), checkServerIdentity: () => undefined });`,
      "s.on('secureConnect', () => s.write('GET / HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n'));",
      "s.on('data', () => { console.log('answered'); process.exit(0); });",
      "s.on('error', (e) => { console.log('error ' + (e.code || e.message)); process.exit(0); });",
      "s.on('close', () => { console.log('closed'); process.exit(0); });",
      "setTimeout(() => { console.log('timeout'); process.exit(0); }, 5000);",
    ].join(" ");
  for (const [host, port] of [["inventory", 7002], ["orders", 7001]] as const) {
    assert.equal(docker("exec", orders.id, "node", "-e", probe(host, port)).trim(), "error ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", `${host}:${port}`);
  }
  // The server side logged each refusal.
  const logs = execFileSync("docker", ["logs", running.get("inventory")?.id ?? ""], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  assert.match(logs, /"event":"tls.refused"/);
});

await check("the gateway's metrics answer on the published admin port", async () => {
  const response = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
  assert.match(text, /^# HELP /m);
});

await check("the console on its published port: 401 without the credential, the walkthrough's edges with it", async () => {
  const refused = await fetch(`${consoleUrl}/api/graph`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get("www-authenticate"), 'Bearer realm="gatehouse-console"');
  const admin = readFileSync(join(secretsDir, "console-admin.token"), "utf8").trim();
  // Gateways send their per-edge counts every 5 s.
  const deadline = Date.now() + 15_000;
  let edges: { from: string; to: string }[] = [];
  while (Date.now() < deadline && !edges.some((e) => e.from === "demo-cli" && e.to === "orders-read")) {
    const graph = await fetch(`${consoleUrl}/api/graph`, { headers: { authorization: `Bearer ${admin}` }, signal: AbortSignal.timeout(10_000) });
    assert.equal(graph.status, 200);
    edges = ((await graph.json()) as { edges: { from: string; to: string }[] }).edges;
    if (!edges.some((e) => e.from === "demo-cli")) await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(edges.some((e) => e.from === "demo-cli" && e.to === "orders-read"), `edges: ${JSON.stringify(edges)}`);
  assert.ok(edges.some((e) => e.from === "orders" && e.to === "inventory-read"), `edges: ${JSON.stringify(edges)}`);
});

const failed = results.filter((r) => r.error !== undefined).length;
say(`compose-test: ${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
