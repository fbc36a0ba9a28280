import { gatehouseProject } from "../../vitest.shared.js";

// The CLI and start tests run the built `dist/*.js` as child processes: the project builds first.
export default gatehouseProject("auth-server", { redis: true, build: true });
