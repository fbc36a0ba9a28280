// Trust as an operator bootstraps it: the auth server's published trust bundle read once without verifying its
// listener (over a channel the operator trusts), and the auth server's CLI for CA files.
import { get } from "node:https";
import { BINARIES, runBinary } from "./binaries.js";

/** `GET <issuer>/trust-bundle.pem` without verifying the listener's certificate. */
export function publishedTrustBundle(issuer: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get(`${issuer}/trust-bundle.pem`, { rejectUnauthorized: false, agent: false, timeout: 5_000 }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve(text));
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
  });
}

/** Runs `gatehouse-auth <args>` (the built CLI) and throws with its stderr unless it succeeded. */
export async function authCli(...args: string[]): Promise<void> {
  const done = await runBinary(BINARIES.authCli, args);
  if (done.code !== 0) throw new Error(`gatehouse-auth ${args.join(" ")}: ${done.stderr}`);
}
