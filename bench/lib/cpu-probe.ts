import { spawn } from "node:child_process";

const PROBE = `
const { generateKeyPairSync, sign } = require("node:crypto");
const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const data = Buffer.alloc(200, 1); let n = 0; const end = Date.now() + 3000;
while (Date.now() < end) { sign("sha256", data, privateKey); n++; }
console.log(n / 3);
`;

function signer(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", PROBE], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", reject);
    child.on("close", () => resolve(Number(out.trim())));
  });
}

/**
 * How much a second process adds on this machine right now: ES256 signatures per second of one
 * busy process, and of two at once (their sum over the one). About 2 means two free cores; about 1
 * means the second process only shares a core (other load, or vCPUs that share a physical core),
 * so no `--workers 2` figure can scale here.
 */
export async function cpuScaling(): Promise<{ one: number; two: number; factor: number }> {
  const one = await signer();
  const pair = await Promise.all([signer(), signer()]);
  const two = pair[0] + pair[1];
  return { one, two, factor: two / one };
}
