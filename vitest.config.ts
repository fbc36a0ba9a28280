import { defineConfig } from "vitest/config";

// One root config listing every package as a project; `pnpm test` runs them all.
export default defineConfig({
  test: {
    projects: ["packages/*", "examples/*"],
    // Servers are real and listen on port 0; give slow machines room, but never hang forever.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
