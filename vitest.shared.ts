import { fileURLToPath } from "node:url";
import { defineProject, type TestProjectConfiguration } from "vitest/config";

/**
 * The settings every package's vitest project shares. Workspace packages resolve through their
 * `source` export condition, so a test of the gateway runs the SDK's TypeScript, not a stale build.
 */
export function gatehouseProject(name: string, options: { redis?: boolean } = {}): TestProjectConfiguration {
  return defineProject({
    resolve: { conditions: ["source"] },
    ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
    test: {
      name,
      include: ["test/**/*.test.ts"],
      globalSetup: options.redis === true ? [fileURLToPath(new URL("test/redis-global-setup.ts", import.meta.url))] : [],
      // Servers are real and listen on port 0: give a loaded 2-core machine room, never hang forever.
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  });
}
