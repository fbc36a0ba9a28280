import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConsoleConfig } from "../src/index.js";

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

describe("loadConsoleConfig", () => {
  it("returns the defaulted, frozen config", () => {
    const config = loadConsoleConfig(fixture("good.yaml"), {});
    expect(config).toMatchObject({
      stream: "gatehouse:events",
      learningSeconds: 30,
      authServer: { issuer: "http://127.0.0.1:4000", keysRefreshSeconds: 60 },
      access: { tokenEnv: "GATEHOUSE_ADMIN_TOKEN", scope: "gatehouse:console" },
      respond: { new_edge: "alert", spike: "alert", denial_burst: "alert", auth_failure_burst: "disable" },
    });
    expect(Object.isFrozen(config.respond)).toBe(true);
  });

  it("takes the issuer from GATEHOUSE_ISSUER over the file", () => {
    expect(loadConsoleConfig(fixture("good.yaml"), { GATEHOUSE_ISSUER: "http://auth.internal:4000" }).authServer.issuer).toBe("http://auth.internal:4000");
  });

  it.each([
    ["unknown-key.yaml", "a misspelled option", "learningSecond: unknown option (check the spelling against the documented options)"],
    ["bad-response.yaml", "an unknown response", 'respond.denial_burst: Invalid option: expected one of "alert"|"disable"|"revoke"'],
  ])("rejects %s (%s) naming the file and the dotted path", (file, _what, problem) => {
    let error: unknown;
    try {
      loadConsoleConfig(fixture(file), {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: "invalid_config" });
    expect((error as Error).message).toBe(`${fixture(file)}: ${problem}`);
  });
});
