import { gatehouseProject } from "../../vitest.shared.js";

// The start tests run the built `dist/main.js` as child processes: the project builds first.
export default gatehouseProject("console", { redis: true, build: true });
