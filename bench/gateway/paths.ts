import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// Compiled to bench/dist/gateway/paths.js; the sources (and the wrk script) stay in bench/gateway.
const here = dirname(fileURLToPath(import.meta.url));

/** The `bench/` folder. */
export const benchDir = resolve(here, "../..");
/** The repository root. */
export const repoDir = resolve(benchDir, "..");
/** Source folder of this benchmark (`bench/gateway`). */
export const sourceDir = join(benchDir, "gateway");
/** Compiled servers started as child processes. */
export const serversDir = join(here, "servers");
/** The wrk Lua script that reports JSON and cycles tokens. */
export const wrkScript = join(sourceDir, "wrk", "report.lua");
/** Where a run writes its generated configs, logs, raw wrk output and CPU profiles (git-ignored). */
export const rawDir = join(benchDir, "results", "raw", "gateway");
/** The written-up results. */
export const resultsFile = join(sourceDir, "RESULTS.md");
/** Every run of the benchmark, one row each, appended. */
export const runLogFile = join(sourceDir, "RUNS.md");
/** Entry point of the built gateway. */
export const gatewayMain = join(repoDir, "packages", "gateway", "dist", "main.js");
/** Entry point of the built auth server library. */
export const authServerIndex = join(repoDir, "packages", "auth-server", "dist", "index.js");
