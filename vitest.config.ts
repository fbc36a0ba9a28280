import { defineConfig } from "vitest/config";

// One root config listing every package as a project; `pnpm test` runs them all.
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", "examples/*/vitest.config.ts", "test/vitest.config.ts"],
    teardownTimeout: 10_000,
  },
});
