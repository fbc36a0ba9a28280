import { gatehouseProject } from "../../vitest.shared.js";

export default gatehouseProject("sdk");
