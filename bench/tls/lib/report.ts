// The results file of the TLS benchmark: the throughput tables and ratios of bench/gateway's report, plus issuance
// and rotation under load.
import { figuresTable, median, ratiosTable, type RatioResult, type ScenarioResult } from "../../gateway/lib/report.js";
import type { MachineFacts } from "../../gateway/lib/machine.js";
import type { LoadResult } from "./load-spec.js";

/** CSRs signed per second, one measurement per round. */
export interface IssuanceResult {
  readonly rounds: readonly LoadResult[];
  readonly csrs: number;
  readonly connections: number;
}

/** The rotation-under-load run. */
export interface RotationResult {
  readonly load: LoadResult;
  /** What happened when, in seconds from the start of the load. */
  readonly events: readonly string[];
  readonly certificateTtl: number;
  readonly durationSec: number;
  readonly connections: number;
  /** Certificates the origin renewed during the run (its log). */
  readonly originRenewals: number;
  /** Lines of the gateway's log about certificates (renewals, failures). */
  readonly gatewayLogLines: number;
}

export interface TlsRunSettings {
  readonly command: string;
  /** Shown at the top, e.g. "busy-machine run". */
  readonly label: string | undefined;
  /** A run on a machine busy with other work: the ratios are printed, not judged. */
  readonly busy: boolean;
  readonly startedAt: string;
  readonly rounds: number;
  readonly durationSec: number;
  readonly warmupSec: number;
  readonly connections: number;
  readonly handshakeConnections: number;
  readonly issuanceConnections: number;
  readonly csrCount: number;
  readonly rotationSec: number;
  readonly rotationConnections: number;
  readonly certificateTtl: number;
  readonly ratePerMinute: number;
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly notes: readonly string[];
}

export interface TlsReport {
  readonly facts: MachineFacts;
  readonly settings: TlsRunSettings;
  readonly scenarios: readonly ScenarioResult[];
  readonly ratios: readonly RatioResult[];
  readonly issuance: IssuanceResult | undefined;
  readonly rotation: RotationResult | undefined;
  readonly configs: readonly { readonly name: string; readonly language: string; readonly text: string }[];
}

const int = (value: number) => Math.round(value).toLocaleString("en-US");
const avg = (values: readonly number[]) => values.map((v) => v.toFixed(2)).join(" / ");

function issuanceSection(issuance: IssuanceResult | undefined): string {
  if (issuance === undefined) return "";
  return `## Certificate issuance

\`POST /certificates\` (the certificate endpoint, over HTTPS, \`client_secret_basic\`), ${String(issuance.connections)} requests in flight, cycling
through ${String(issuance.csrs)} pre-made CSRs (ECDSA P-256, made by openssl before the measurement). Every answer must be 200 with a certificate.

${figuresTable([{ id: "issuance", title: "CSRs signed", what: "", rounds: issuance.rounds, counters: [] }]).replace("req/s", "CSRs signed per second")}

Median: **${int(median(issuance.rounds.map((m) => m.rps)))} CSRs signed per second**.

`;
}

function rotationSection(rotation: RotationResult | undefined): string {
  if (rotation === undefined) return "";
  const m = rotation.load;
  const failed = m.non2xx + m.socketErrors;
  const failures = Object.entries(m.failures);
  return `## Rotation under load

A separate auth server with a CA file (\`gatehouse-auth ca generate\`, re-read every second) issuing certificates that live
${String(rotation.certificateTtl)} s; the caller (the load generator's own \`createServiceIdentity\` and a token source with it: each renewed
certificate gets a token bound to it), the gateway (\`listener.tls\` and \`proxy.tls\` \`fromIssuer\`, one process) and the origin
(\`createServiceServer\`) all renew at half-life. ${String(rotation.connections)} requests in flight through the gateway for ${String(rotation.durationSec)} s, each on a new
connection (a full handshake, so every request proves that the caller's and the gateway's current certificates are valid and trusted);
the origin closes the gateway's connection after 50 requests, so the upstream leg keeps handshaking too. The CA is rotated during the load.

${rotation.events.map((e) => `- ${e}`).join("\n")}

| answers | req/s | p50 ms | p99 ms | max ms | failed requests (target 0) | caller's renewals | origin's renewals |
| --- | --- | --- | --- | --- | --- | --- | --- |
| ${int(m.requests)} | ${int(m.rps)} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${m.maxMs.toFixed(2)} | **${String(failed)}** | ${String(m.rotations)} | ${String(rotation.originRenewals)} |
${failures.length === 0 ? "" : `\nFailures:\n\n${failures.map(([what, count]) => `- ${String(count)} × ${what}`).join("\n")}\n`}
`;
}

/** The ratios of a busy-machine run: printed against their targets, not judged. */
function unjudged(ratios: readonly RatioResult[]): string {
  const x = (value: number) => `${value.toFixed(2)}×`;
  return [
    "A busy-machine run: other work shared the cores, so these ratios say nothing about the targets.",
    "",
    "| ratio (same round) | target | per round | median |",
    "| --- | --- | --- | --- |",
    ...ratios.map((r) => `| ${r.name} | ${r.kind === "min" ? "≥" : "≤"} ${r.bound.toFixed(2)}×${r.informative === true ? " (context, not a target)" : ""} | ${r.perRound.map(x).join(" / ")} | ${x(r.median)} |`),
  ].join("\n");
}

/** The whole results file (also printed by the run). */
export function renderResults(report: TlsReport): string {
  const { facts, settings } = report;
  return `# Transport identity benchmark results${settings.label === undefined ? "" : ` (${settings.label})`}

Written by \`${settings.command}\` (bench/tls/run.ts) on ${settings.startedAt}. All figures below come from that one run: absolute
numbers drift ±40% on a shared machine, so the targets are ratios of scenarios measured in the same round.

## Machine and software

| | |
| --- | --- |
| CPU | ${facts.cpuModel}, nproc ${String(facts.nproc)} |
| kernel | ${facts.kernel} |
| Node.js | ${facts.node} (gateway, origin, auth server, load generator) |
| HAProxy | ${facts.haproxy} |
| load generator | \`bench/tls/servers/load.ts\` (undici, one process), ${String(settings.connections)} connections keep-alive, ${String(settings.handshakeConnections)} for a new connection per request |
| Redis | ${facts.redis} (127.0.0.1, shared) |
| load average (1/5/15 min) | ${avg(settings.loadAverage.before)} at the start, ${avg(settings.loadAverage.after)} at the end |

## Method

- TLS on both legs, TLS 1.3 everywhere, certificates (ECDSA P-256) from the auth server's CA, trust domain \`bench.test\`. The caller presents
  its Gatehouse certificate; its token is bound to it (\`cnf.x5t#S256\`, RFC 8705), and the route accepts bound tokens only. The gateway
  and HAProxy present the gateway's certificate to the origin, the SDK's \`createServiceServer\`, which lets in the gateway's SPIFFE ID only.
- The gateway checks the origin's SPIFFE ID (\`upstreamIdentity\`); HAProxy checks a DNS name of the same certificate (\`verifyhost\`).
  HAProxy checks the token's \`cnf.x5t#S256\` against the client certificate's SHA-256 thumbprint; it does not check the certificate's
  SPIFFE ID against \`sub\` (the gateway does). Otherwise the job is \`bench/gateway\`'s: \`jwt_verify\`, claims, scope, service and
  attribute policy, a per-service rate limit (Redis for the gateway, a stick table for HAProxy) of ${int(settings.ratePerMinute)} per 60 s (never reached).
- Before measuring, every proxy is checked: the bound token with its certificate passes, no token, a tampered token and the bound token
  with another certificate of the same CA are refused with 401.
- ${String(settings.rounds)} interleaved rounds; in each round every scenario gets a ${String(settings.warmupSec)} s warm-up and a ${String(settings.durationSec)} s measurement, in an order rotated by
  one scenario per round. Figures are medians over the rounds; ratios are taken per round, then the median.
- "New connection per request": every request opens a TCP connection and does a full TLS 1.3 handshake with the client certificate
  (the load generator keeps no TLS sessions), then closes it. The proxies' upstream connections stay keep-alive.
${settings.notes.map((note) => `- ${note}`).join("\n")}

### Scenarios

| scenario | what runs |
| --- | --- |
${report.scenarios.map((s) => `| ${s.title} | ${s.what} |`).join("\n")}

## Figures

${report.scenarios.length === 0 ? "(throughput not measured in this run)" : figuresTable(report.scenarios)}

## Targets (docs/performance-targets.md, "Transport identity")

${report.ratios.length === 0 ? "(none measured in this run)" : settings.busy ? unjudged(report.ratios) : ratiosTable(report.ratios)}

${issuanceSection(report.issuance)}${rotationSection(report.rotation)}## Every measured run

${[...report.scenarios.flatMap((s) => s.rounds.map((m, i) => `| ${s.title} | ${String(i + 1)} | ${int(m.rps)} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${String(m.non2xx + m.socketErrors)} |`)), ...(report.issuance?.rounds ?? []).map((m, i) => `| certificate issuance | ${String(i + 1)} | ${int(m.rps)} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${String(m.non2xx + m.socketErrors)} |`), ...(report.rotation === undefined ? [] : [`| rotation under load | 1 | ${int(report.rotation.load.rps)} | ${report.rotation.load.p50Ms.toFixed(2)} | ${report.rotation.load.p99Ms.toFixed(2)} | ${String(report.rotation.load.non2xx + report.rotation.load.socketErrors)} |`])].reduce((text, row) => `${text}\n${row}`, "| scenario | round | req/s | p50 ms | p99 ms | failed |\n| --- | --- | --- | --- | --- | --- |")}

## Appendix: the generated configs

Ports and file paths are those of this run; secrets come from variables, never from the files.

${report.configs.map((c) => `### \`${c.name}\`\n\n\`\`\`${c.language}\n${c.text.trimEnd()}\n\`\`\``).join("\n\n")}
`;
}
