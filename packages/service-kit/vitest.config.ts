import { gatehouseProject } from "../../vitest.shared.js";

// The worker tests run the built package in child processes, as the services run it; the event
// publisher's tests append to the shared Redis.
export default gatehouseProject("service-kit", { build: true, redis: true });
