import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { repoDir } from "../paths.js";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * The part of the profile to count, as microseconds before the profile's end (the process's
 * exit): start-up, module loading and warm-up fall outside it.
 */
export interface ProfileWindow {
  readonly fromEndUs: number;
  readonly toEndUs: number;
}

/** A share of the busy (non-idle) samples. */
export interface Share {
  readonly name: string;
  readonly percent: number;
}

/** A function of the gateway's own code, located in its TypeScript source. */
export interface HotSpot {
  readonly name: string;
  readonly location: string;
  /** Samples in the function itself, % of busy samples. */
  readonly selfPercent: number;
  /** Samples in the function and everything it calls, % of busy samples. */
  readonly totalPercent: number;
}

/** What one CPU profile of the gateway's busy thread says. */
export interface ProfileSummary {
  readonly file: string;
  readonly busySamples: number;
  readonly busyPercent: number;
  /** Samples counted (those inside the window). */
  readonly samples: number;
  readonly byComponent: readonly Share[];
  readonly topFunctions: readonly (Share & { location: string })[];
  readonly gatewayHotSpots: readonly HotSpot[];
}

const special = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/** Which component a frame belongs to: our packages, an npm package, a node core module, V8. */
function component(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (special.has(functionName)) return functionName;
  if (url === "") {
    if (/^write(v|Buffer|Latin1String|Utf8String|AsciiString|Ucs2String)$/.test(functionName)) return "native: socket writes";
    if (/^(execute|finish|consume|initialize)$/.test(functionName)) return "native: HTTP parser (llhttp)";
    return "native: other (V8 builtins, bindings)";
  }
  if (url.startsWith("node:")) {
    const name = url.slice("node:".length).replace(/^internal\//, "");
    if (/^(net|stream|streams\/|dns|tcp|socket)/.test(name) || name.startsWith("stream_base")) return "node core: net and streams";
    if (/^(_http|http)/.test(name)) return "node core: http";
    if (/^timers/.test(name)) return "node core: timers";
    if (/^(events|process\/task_queues|async_hooks|async_context)/.test(name)) return "node core: events, ticks, async context";
    if (name.startsWith("modules/")) return "node core: module loading";
    return "node core: other";
  }
  if (url.startsWith("wasm://")) return "wasm (undici's llhttp parser)";
  const path = url.startsWith("file://") ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = path.slice(nm + "/node_modules/".length).split("/");
    return rest[0]?.startsWith("@") === true ? `${rest[0]}/${rest[1] ?? ""}` : (rest[0] ?? path);
  }
  const pkg = /\/packages\/([^/]+)\//.exec(path);
  if (pkg?.[1] !== undefined) return `@gatehouse/${pkg[1]}`;
  return relative(repoDir, path);
}

const maps = new Map<string, SourceMap | undefined>();

/** `packages/gateway/src/x.ts:LINE` for a frame in the gateway's dist, via its source map. */
function sourceLocation(frame: CallFrame): string {
  const path = frame.url.startsWith("file://") ? fileURLToPath(frame.url) : frame.url;
  const fallback = `${relative(repoDir, path)}:${frame.lineNumber + 1}`;
  if (!maps.has(path)) {
    const mapFile = `${path}.map`;
    maps.set(path, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, "utf8")) as ConstructorParameters<typeof SourceMap>[0]) : undefined);
  }
  const map = maps.get(path);
  if (map === undefined) return fallback;
  const entry = map.findEntry(frame.lineNumber, frame.columnNumber);
  if (!("originalSource" in entry)) return fallback;
  const source = entry.originalSource.startsWith("file://") ? fileURLToPath(entry.originalSource) : resolve(dirname(path), entry.originalSource);
  return `${relative(repoDir, source)}:${entry.originalLine + 1}`;
}

/** `node:…` as is, files relative to the repository, pnpm's store folder shortened. */
function displayUrl(url: string): string {
  if (!url.startsWith("file://")) return url;
  return relative(repoDir, fileURLToPath(url)).replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, "");
}

function label(frame: CallFrame): string {
  return frame.functionName === "" ? "(anonymous)" : frame.functionName;
}

/**
 * Reads a `.cpuprofile` written by `node --cpu-prof` and summarizes where the busy time went,
 * counting only the samples inside `window` when one is given.
 */
export function summarizeProfile(file: string, window?: ProfileWindow, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  const from = window === undefined ? -Infinity : profile.endTime - window.fromEndUs;
  const to = window === undefined ? Infinity : profile.endTime - window.toEndUs;
  let at = profile.startTime;
  let total = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from || at > to) return;
    total += 1;
    self.set(id, (self.get(id) ?? 0) + 1);
  });
  const idle = profile.nodes.filter((node) => node.callFrame.functionName === "(idle)").reduce((sum, node) => sum + (self.get(node.id) ?? 0), 0);
  const busy = Math.max(1, total - idle);
  const pct = (samples: number) => (100 * samples) / busy;

  const components = new Map<string, number>();
  const functions = new Map<string, { name: string; location: string; samples: number }>();
  for (const node of profile.nodes) {
    const samples = self.get(node.id) ?? 0;
    if (samples === 0 || node.callFrame.functionName === "(idle)") continue;
    const name = component(node.callFrame);
    components.set(name, (components.get(name) ?? 0) + samples);
    const location = node.callFrame.url === "" ? "" : `${displayUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const key = `${label(node.callFrame)} ${location}`;
    const entry = functions.get(key) ?? { name: `${label(node.callFrame)} [${name}]`, location, samples: 0 };
    entry.samples += samples;
    functions.set(key, entry);
  }

  // Self and inclusive samples of the gateway's own functions (recursion counted once).
  const isGateway = (frame: CallFrame) => frame.url.includes("/packages/gateway/dist/");
  const gatewaySelf = new Map<string, number>();
  const gatewayTotal = new Map<string, number>();
  const frames = new Map<string, CallFrame>();
  const subtree = new Map<number, number>();
  const sumSubtree = (id: number): number => {
    const node = byId.get(id);
    if (node === undefined) return 0;
    let sum = self.get(id) ?? 0;
    for (const child of node.children ?? []) sum += sumSubtree(child);
    subtree.set(id, sum);
    return sum;
  };
  const root = profile.nodes[0];
  if (root !== undefined) sumSubtree(root.id);
  const walk = (id: number, open: ReadonlySet<string>): void => {
    const node = byId.get(id);
    if (node === undefined) return;
    let inside = open;
    if (isGateway(node.callFrame)) {
      const key = `${label(node.callFrame)}\u0000${node.callFrame.url}\u0000${node.callFrame.lineNumber}\u0000${node.callFrame.columnNumber}`;
      frames.set(key, node.callFrame);
      gatewaySelf.set(key, (gatewaySelf.get(key) ?? 0) + (self.get(id) ?? 0));
      if (!open.has(key)) {
        gatewayTotal.set(key, (gatewayTotal.get(key) ?? 0) + (subtree.get(id) ?? 0));
        inside = new Set([...open, key]);
      }
    }
    for (const child of node.children ?? []) walk(child, inside);
  };
  if (root !== undefined) walk(root.id, new Set());

  return {
    file,
    busySamples: busy,
    samples: total,
    busyPercent: (100 * busy) / Math.max(1, total),
    byComponent: [...components.entries()].map(([name, samples]) => ({ name, percent: pct(samples) })).sort((a, b) => b.percent - a.percent),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.samples - a.samples)
      .slice(0, top)
      .map((entry) => ({ name: entry.name, location: entry.location, percent: pct(entry.samples) })),
    gatewayHotSpots: [...gatewaySelf.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, samples]) => {
        const frame = frames.get(key);
        if (frame === undefined) throw new Error("profile frame lost");
        return { name: label(frame), location: sourceLocation(frame), selfPercent: pct(samples), totalPercent: pct(gatewayTotal.get(key) ?? 0) };
      }),
  };
}
