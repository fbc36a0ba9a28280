import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// Compiled to bench/dist/tls/paths.js; the sources stay in bench/tls.
const here = dirname(fileURLToPath(import.meta.url));

/** The `bench/` folder. */
export const benchDir = resolve(here, "../..");
/** The repository root. */
export const repoDir = resolve(benchDir, "..");
/** Compiled servers started as child processes (the https origin, the load generator). */
export const serversDir = join(here, "servers");
/** Where a run writes its generated configs, certificates, keys, CSRs and logs (git-ignored). */
export const rawDir = join(benchDir, "results", "raw", "tls");
/** The written-up results. */
export const resultsFile = join(benchDir, "tls", "RESULTS.md");
/** The auth server's command line (`gatehouse-auth ca generate|rotate`). */
export const authCli = join(repoDir, "packages", "auth-server", "dist", "cli.js");
