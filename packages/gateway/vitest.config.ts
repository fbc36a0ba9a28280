import { fileURLToPath } from "node:url";
import { gatehouseProject } from "../../vitest.shared.js";

const project = gatehouseProject("gateway", { redis: true });
const buildSetup = fileURLToPath(new URL("test/build-setup.ts", import.meta.url));

// The start tests run the built package as child processes: build it first.
export default typeof project === "object" && "test" in project
  ? { ...project, test: { ...project.test, globalSetup: [...toArray(project.test.globalSetup), buildSetup] } }
  : project;

function toArray(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
