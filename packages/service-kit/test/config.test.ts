import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { renderOptionsTable } from "../src/docs/options-table.js";
import { ConfigError, loadConfigFile } from "../src/index.js";

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

const schema = z.strictObject({
  name: z.string().describe("Names the instance in logs."),
  listen: z
    .strictObject({ port: z.number().int().min(0).max(65535).default(8080).describe("TCP port.") })
    .default({ port: 8080 })
    .describe("Where to listen."),
  routes: z
    .array(
      z.strictObject({
        prefix: z.string().startsWith("/").describe("Path prefix."),
        upstream: z.url({ protocol: /^https?$/ }).describe("Backend base URL."),
      }),
    )
    .describe("Routes, in order."),
});

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfigFile", () => {
  it("returns the validated, defaulted and frozen document", () => {
    const config = loadConfigFile(fixture("good.yaml"), schema);
    expect(config).toEqual({
      name: "edge",
      listen: { port: 8080 },
      routes: [{ prefix: "/api/orders", upstream: "http://127.0.0.1:7001" }],
    });
    expect(Object.isFrozen(config.routes[0])).toBe(true);
  });

  it("rejects an unknown key, naming the file and the dotted path", () => {
    const error = errorOf(() => loadConfigFile(fixture("unknown-key.yaml"), schema));
    expect(error.message).toBe(
      `${fixture("unknown-key.yaml")}: listen.prot: unknown option (check the spelling against the documented options)`,
    );
    expect(error.code).toBe("invalid_config");
  });

  it("rejects a value of the wrong type at its array index", () => {
    const error = errorOf(() => loadConfigFile(fixture("wrong-type.yaml"), schema));
    expect(error.problems).toEqual([{ path: "routes.0.upstream", message: "Invalid input: expected string, received number" }]);
  });

  it("reports a YAML syntax error without a stack of parser internals", () => {
    const error = errorOf(() => loadConfigFile(fixture("broken.yaml"), schema));
    expect(error.problems).toHaveLength(1);
    expect(error.message).toMatch(/broken\.yaml: not valid YAML: /);
    expect(error.message.split("\n")).toHaveLength(1);
  });

  it("rejects a duplicate key instead of silently taking the last one", () => {
    const error = errorOf(() => loadConfigFile(fixture("duplicate-key.json"), schema));
    expect(error.message).toMatch(/duplicate-key\.json: not valid JSON: Map keys must be unique/);
  });

  it("names a missing file", () => {
    expect(() => loadConfigFile(fixture("absent.yaml"), schema)).toThrow(`${fixture("absent.yaml")}: file not found`);
  });
});

describe("renderOptionsTable", () => {
  it("documents every option with its type, default and description", () => {
    expect(renderOptionsTable(schema).split("\n")).toEqual([
      "| option | type | default | description |",
      "| --- | --- | --- | --- |",
      "| `name` | string (required) |  | Names the instance in logs. |",
      '| `listen` | object | `{"port":8080}` | Where to listen. |',
      "| `listen.port` | integer | `8080` | TCP port. |",
      "| `routes` | object[] (required) |  | Routes, in order. |",
      "| `routes[].prefix` | string (required) |  | Path prefix. |",
      "| `routes[].upstream` | string (required) |  | Backend base URL. |",
    ]);
  });
});
