// The SDK benchmark: verifications per second with and without the verified-token cache, in interleaved rounds of
// one run, and the ratio the design targets (cached ≥ 50× uncached, docs/performance-targets.md). Writes bench/sdk/RESULTS.md.
//
//   pnpm exec tsc -b packages/sdk && node bench/sdk/run.ts [--rounds 3] [--duration 3] [--warmup 1] [--results FILE]
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median, measure, type Measurement } from "./measure.ts";
import { AUDIENCE, startIssuer } from "./tokens.ts";

/** The part of the SDK's `Verifier` measured here (the built package is loaded, as services load it). */
interface Verifier {
  verify(token: string): Promise<unknown>;
  verifyCached(token: string): unknown;
  ready(): Promise<void>;
  close(): void;
}
const sdkDist = new URL("../../packages/sdk/dist/index.js", import.meta.url);
const { createVerifier } = (await import(sdkDist.href)) as { createVerifier: (options: Record<string, unknown>) => Verifier };

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "3" },
    warmup: { type: "string", default: "1" },
    tokens: { type: "string", default: "30000" },
    results: { type: "string", default: fileURLToPath(new URL("RESULTS.md", import.meta.url)) },
  },
});
const rounds = Number(values.rounds);
const durationMs = Number(values.duration) * 1000;
const warmupMs = Number(values.warmup) * 1000;
const ringSize = Number(values.tokens);

const loadBefore = loadavg()[0] ?? 0;
const issuer = await startIssuer();
const scenarios = {
  /** A fresh token every call, cache off: jose checks the ES256 signature and the claims each time. */
  "uncached verify()": createVerifier({ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audience: AUDIENCE, cacheSize: 0 }),
  /** A ring of 1,000 tokens seen before: verify() answers from the LRU (exp and aud still checked). */
  "cached verify()": createVerifier({ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audience: AUDIENCE }),
  /** The same ring through the synchronous hot path the gateway uses. */
  "cached verifyCached()": createVerifier({ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audience: AUDIENCE }),
} as const;
type Scenario = keyof typeof scenarios;

console.log(`minting ${ringSize} distinct tokens for the uncached scenario`);
const fresh = issuer.mint(ringSize);
const seen = issuer.mint(1000);
for (const verifier of Object.values(scenarios)) await verifier.ready();
for (const token of seen) {
  await scenarios["cached verify()"].verify(token);
  await scenarios["cached verifyCached()"].verify(token);
}

const operations: Record<Scenario, (i: number) => unknown> = {
  "uncached verify()": (i) => scenarios["uncached verify()"].verify(fresh[i % fresh.length]!),
  "cached verify()": (i) => scenarios["cached verify()"].verify(seen[i % seen.length]!),
  "cached verifyCached()": (i) => {
    if (scenarios["cached verifyCached()"].verifyCached(seen[i % seen.length]!) === undefined) throw new Error("cache miss");
  },
};

const results: Record<Scenario, Measurement[]> = { "uncached verify()": [], "cached verify()": [], "cached verifyCached()": [] };
const ratios: { verify: number; verifyCached: number }[] = [];
for (let round = 1; round <= rounds; round += 1) {
  const figures = {} as Record<Scenario, number>;
  for (const name of Object.keys(operations) as Scenario[]) {
    const measurement = await measure(durationMs, warmupMs, operations[name]);
    results[name].push(measurement);
    figures[name] = measurement.perSecond;
    console.log(`round ${round} ${name}: ${Math.round(measurement.perSecond).toLocaleString("en-US")} verifications/s`);
  }
  ratios.push({
    verify: figures["cached verify()"] / figures["uncached verify()"],
    verifyCached: figures["cached verifyCached()"] / figures["uncached verify()"],
  });
}
for (const verifier of Object.values(scenarios)) verifier.close();
await issuer.close();

const stats = (name: Scenario) => results[name].map((m) => m.perSecond);
const format = (value: number) => Math.round(value).toLocaleString("en-US");
const ratioVerify = median(ratios.map((r) => r.verify));
const ratioCached = median(ratios.map((r) => r.verifyCached));
const cpu = cpus();
const kernel = execFileSync("uname", ["-sr"], { encoding: "utf8" }).trim();
const command = `pnpm exec tsc -b packages/sdk && node bench/sdk/run.ts --rounds ${rounds} --duration ${durationMs / 1000} --warmup ${warmupMs / 1000} --tokens ${ringSize}`;

const report = `# SDK benchmark results

Verifications per second of \`createVerifier\` from \`@gatehouse/sdk\`, with and without the verified-token cache,
measured in ${rounds} interleaved rounds of one run (${durationMs / 1000} s per scenario and round after ${warmupMs / 1000} s of
warm-up, one operation at a time on the main thread). The target (\`docs/performance-targets.md\`) is a ratio within one run: **cached ≥ 50×
uncached**. Absolute figures drift by ±40% on this shared machine; the ratios are what to compare.

- Machine: ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${kernel}; shared with other work while measured (1-minute load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after)
- Node.js ${process.version}; jose, lru-cache as locked in pnpm-lock.yaml
- Command: \`${command}\`
- Date: ${new Date().toISOString()}
- Tokens: ES256 RFC 9068 access tokens (~${fresh[0]!.length} bytes); uncached: ${ringSize} distinct tokens, cache off; cached: a ring of 1,000 tokens verified before

| scenario | median verifications/s | rounds |
| --- | ---: | --- |
${(Object.keys(operations) as Scenario[]).map((name) => `| ${name} | ${format(median(stats(name)))} | ${stats(name).map(format).join(" · ")} |`).join("\n")}

| ratio (median of per-round ratios) | value | target | verdict |
| --- | ---: | ---: | --- |
| cached \`verify()\` / uncached \`verify()\` | ${ratioVerify.toFixed(1)}× | ≥ 50× | ${ratioVerify >= 50 ? "met" : "NOT met"} |
| cached \`verifyCached()\` / uncached \`verify()\` | ${ratioCached.toFixed(1)}× | ≥ 50× | ${ratioCached >= 50 ? "met" : "NOT met"} |

What the scenarios do: *uncached* parses the token, checks the ES256 signature with the JWKS key (WebCrypto through
jose), then \`typ\`, \`iss\`, \`aud\`, \`exp\`/\`iat\`/\`nbf\` and the required claims; *cached* finds the token in the LRU and
checks its deadline and audience only. \`verify()\` pays for one promise per call; \`verifyCached()\` is synchronous.
`;
await writeFile(values.results, report);
console.log(`\n${report}\nwrote ${values.results}`);
