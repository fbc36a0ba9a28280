import { fileURLToPath } from "node:url";
import { gatehouseProject } from "../vitest.shared.js";

// Repository-level tests (test/**/*.test.ts, e.g. the static checks of docker-compose.yml). The
// project lives in test/, so its root is moved up to the repository for `include` to match.
const project = gatehouseProject("repo");
const repository = fileURLToPath(new URL("..", import.meta.url));
export default typeof project === "object" && "test" in project ? { ...project, test: { ...project.test, root: repository } } : project;
