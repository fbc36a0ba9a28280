import { fileURLToPath } from "node:url";
import { gatehouseProject } from "../vitest.shared.js";

// Repository-level tests (test/**/*.test.ts): the static checks of docker-compose.yml and the
// end-to-end run of `pnpm start`'s stack, which needs the whole solution built.
export default gatehouseProject("repo", { build: true, root: fileURLToPath(new URL("..", import.meta.url)) });
