import { fileURLToPath } from "node:url";
import { defineProject, type TestProjectConfiguration } from "vitest/config";

const setup = (file: string) => fileURLToPath(new URL(`test/${file}`, import.meta.url));

export interface GatehouseProjectOptions {
  /** The tests need Redis: fail the run loudly when it does not answer (`REDIS_URL`). */
  readonly redis?: boolean;
  /** The tests run built `dist/*.js` files as child processes: `tsc -b` the project's folder first. */
  readonly build?: boolean;
  /** The project's root, when its config file does not sit there (the repository-level project). */
  readonly root?: string;
}

/**
 * The settings every package's vitest project shares. Workspace packages resolve through their
 * `source` export condition, so a test of the gateway runs the SDK's TypeScript, not a stale build.
 */
export function gatehouseProject(name: string, options: GatehouseProjectOptions = {}): TestProjectConfiguration {
  return defineProject({
    resolve: { conditions: ["source"] },
    ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
    test: {
      name,
      ...(options.root === undefined ? {} : { root: options.root }),
      include: ["test/**/*.test.ts"],
      globalSetup: [
        ...(options.redis === true ? [setup("redis-global-setup.ts")] : []),
        ...(options.build === true ? [setup("build-global-setup.ts")] : []),
      ],
      // Servers are real and listen on port 0: give a loaded 2-core machine room, never hang forever.
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  });
}
