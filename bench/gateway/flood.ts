/**
 * Memory under a flood of distinct tokens: `pnpm bench:gateway-flood` (options after `--`: `--tokens 100000`,
 * `--concurrency 16`, `--results <file>`).
 *
 * Starts a key server and a small-JSON origin in this process and the gateway as operators start it
 * (`node packages/gateway/dist/main.js`, verified-token cache 10,000 entries, access log off, limits in memory), once
 * with Node's defaults and once with the compose file's `NODE_OPTIONS=--max-old-space-size=160`; sends every token
 * once (each a cache miss and a signature check) and reads the gateway's resident memory (VmRSS, VmHWM from /proc) at
 * every 10 % of the flood. Tokens are signed here with an ES256 key the gateway trusts through `jwksUri`, like the
 * auth server's, so minting does not compete with the gateway for the auth server. Memory, unlike speed, does not
 * depend on how busy the machine is; the load average is recorded anyway.
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { ProcessGroup, type Started } from "../lib/processes.js";
import { gatewayMain, rawDir, sourceDir } from "./paths.js";

const { values } = parseArgs({
  options: {
    tokens: { type: "string", default: "100000" },
    concurrency: { type: "string", default: "16" },
    results: { type: "string", default: join(sourceDir, "MEMORY.md") },
  },
});
const TOKENS = Number(values.tokens);
const CONCURRENCY = Number(values.concurrency);
const AUDIENCE = "https://bench-origin.internal";
const COMMAND = `pnpm bench:gateway-flood -- --tokens ${String(TOKENS)} --concurrency ${String(CONCURRENCY)}`;

interface Sample {
  readonly tokens: number;
  readonly rssMiB: number;
  readonly peakMiB: number;
}

function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${String(pid)}/status`, "utf8");
  const mib = (field: string) => Math.round(Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? Number.NaN) / 1024);
  return { rssMiB: mib("VmRSS"), peakMiB: mib("VmHWM") };
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runDir = join(rawDir, `flood-${stamp}`);
  mkdirSync(runDir, { recursive: true });
  const group = new ProcessGroup(runDir);
  const loadBefore = loadavg();

  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "flood", alg: "ES256", use: "sig" };
  const keys = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
  const origin = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json", "content-length": "2" }).end("{}"));
  keys.listen(0, "127.0.0.1");
  origin.listen(0, "127.0.0.1");
  await Promise.all([once(keys, "listening"), once(origin, "listening")]);
  const issuer = `http://127.0.0.1:${String((keys.address() as AddressInfo).port)}`;
  const originUrl = `http://127.0.0.1:${String((origin.address() as AddressInfo).port)}`;
  const configFile = join(runDir, "gateway.yaml");
  writeFileSync(
    configFile,
    `issuer: ${issuer}\njwksUri: ${issuer}/jwks\naccessLog: false\nverifier: { cacheSize: 10000 }\nroutes:\n  - name: bench\n    pathPrefix: /\n    upstreams: [${originUrl}]\n    audience: ${AUDIENCE}\n`,
  );
  const mint = () =>
    new SignJWT({ client_id: "bench-client", scope: "bench:read", jti: randomUUID() })
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "flood" })
      .setIssuer(issuer)
      .setSubject("bench-client")
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime("30m")
      .sign(privateKey);

  const runs: { label: string; samples: Sample[]; statuses: Record<string, number>; exit: string }[] = [];
  try {
    for (const [label, nodeOptions] of [
      ["Node defaults (no NODE_OPTIONS)", ""],
      ["NODE_OPTIONS=--max-old-space-size=160 (compose)", "--max-old-space-size=160"],
    ] as const) {
      const port = await freePort();
      const gateway: Started = group.spawn({
        name: `gateway-flood-${nodeOptions === "" ? "default" : "capped"}`,
        command: process.execPath,
        args: [gatewayMain, "--config", configFile, "--port", String(port), "--admin-port", "0"],
        env: { PATH: process.env["PATH"], NODE_OPTIONS: nodeOptions },
      });
      await waitForPort(port);
      const samples: Sample[] = [{ tokens: 0, ...memory(gateway.pid) }];
      const statuses: Record<string, number> = {};
      let sent = 0;
      const step = TOKENS / 10;
      const worker = async () => {
        while (sent < TOKENS) {
          sent++;
          const token = await mint();
          const response = await fetch(`http://127.0.0.1:${String(port)}/`, { headers: { authorization: `Bearer ${token}` } });
          await response.arrayBuffer();
          statuses[String(response.status)] = (statuses[String(response.status)] ?? 0) + 1;
          const done = Object.values(statuses).reduce((a, b) => a + b, 0);
          if (done % step === 0) samples.push({ tokens: done, ...memory(gateway.pid) });
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const exit = await group.stop(gateway);
      runs.push({ label, samples, statuses, exit });
      console.log(label, JSON.stringify(samples.at(-1)), JSON.stringify(statuses));
    }
  } finally {
    await group.stopAll();
    keys.close();
    origin.close();
  }
  const loadAfter = loadavg();
  const fmt = (l: number[]) => l.map((v) => v.toFixed(2)).join(" / ");
  const lines = [
    "# Gateway memory under a flood of distinct tokens",
    "",
    `Written by \`${COMMAND}\` (bench/gateway/flood.ts) on ${new Date().toISOString()}, Node ${process.version}.`,
    `Load average (1/5/15 min) ${fmt(loadBefore)} at the start, ${fmt(loadAfter)} at the end.`,
    "",
    "One gateway process, verified-token cache of 10,000 entries (default byte bound), access log off, rate limits in",
    `memory; ${String(TOKENS)} distinct valid ES256 tokens, each sent once (${String(CONCURRENCY)} at a time), so each is a cache miss and a`,
    "signature check. Resident memory read from /proc/<pid>/status: VmRSS now, VmHWM the peak so far, in MiB.",
    "",
  ];
  for (const run of runs) {
    lines.push(`## ${run.label}`, "", `Answers: ${JSON.stringify(run.statuses)}; exit ${run.exit}.`, "", "| tokens sent | RSS MiB | peak RSS MiB |", "| --- | --- | --- |");
    for (const s of run.samples) lines.push(`| ${s.tokens.toLocaleString("en-US")} | ${String(s.rssMiB)} | ${String(s.peakMiB)} |`);
    lines.push("");
  }
  writeFileSync(values.results, lines.join("\n"));
  console.log(`wrote ${values.results}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      await (await fetch(`http://127.0.0.1:${String(port)}/`, { signal: AbortSignal.timeout(1000) })).arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`gateway did not open port ${String(port)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
