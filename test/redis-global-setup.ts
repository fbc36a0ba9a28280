// Vitest globalSetup shared by every package whose tests need Redis.
// It fails the run loudly (never skips) when Redis at REDIS_URL does not answer PING.
import { connect } from "node:net";

const url = new URL(process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379");

function ping(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("timed out after 2 s"));
    }, 2000);
    let reply = "";
    socket.on("connect", () => {
      const auth = url.password ? `AUTH ${decodeURIComponent(url.password)}\r\n` : "";
      socket.write(`${auth}PING\r\n`);
    });
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("PONG") || reply.startsWith("-")) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.trim());
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export default async function setup(): Promise<void> {
  try {
    const reply = await ping();
    if (!reply.includes("PONG")) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Redis at ${url.host} is required by these tests and did not answer PING (${reason}). ` +
        "Start one (e.g. `redis-server --port 6379 --save ''`) or set REDIS_URL; `bash .ci/run` does this for you.",
      { cause: error },
    );
  }
}
