import { gatehouseProject } from "../../vitest.shared.js";

export default gatehouseProject("auth-server", { redis: true });
