import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// Compiled to bench/dist/revocation/paths.js; the sources stay in bench/revocation.
const here = dirname(fileURLToPath(import.meta.url));

/** The `bench/` folder. */
export const benchDir = resolve(here, "../..");
/** The repository root. */
export const repoDir = resolve(benchDir, "..");
/** Compiled servers started as child processes. */
export const serversDir = join(here, "servers");
/** Where a run writes its generated configs, keys and logs (git-ignored). */
export const rawDir = join(benchDir, "results", "raw", "revocation");
/** The written-up results. */
export const resultsFile = join(benchDir, "revocation", "RESULTS.md");
/** Entry points of the built services. */
export const authServerMain = join(repoDir, "packages", "auth-server", "dist", "main.js");
export const gatewayMain = join(repoDir, "packages", "gateway", "dist", "main.js");
export const sdkIndex = join(repoDir, "packages", "sdk", "dist", "index.js");
