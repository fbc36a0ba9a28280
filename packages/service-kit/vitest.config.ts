import { gatehouseProject } from "../../vitest.shared.js";

// The worker tests run the built package in child processes, as the services run it.
export default gatehouseProject("service-kit", { build: true });
