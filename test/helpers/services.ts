// Built Gatehouse services started as operators start them (`node packages/*/dist/main.js`), on
// free loopback ports, for the repository-level tests. Every process is stopped by its PID at the end.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

export { freePort } from "@gatehouse/service-kit/testing";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything it printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `packages/<name>/dist/main.js` and resolves once `readyUrl` answers 200. */
export async function startService(name: "auth-server" | "gateway", args: readonly string[], env: NodeJS.ProcessEnv, readyUrl: string): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [`packages/${name}/dist/main.js`, ...args], {
    cwd: root,
    env: { PATH: process.env["PATH"], LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const exited = once(child, "exit");
  const service: ServiceProcess = {
    child,
    output: () => text,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${String(child.exitCode)}:\n${text}`);
    const ok = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return service;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await service.stop();
  throw new Error(`${name} was not ready at ${readyUrl} within 30 s:\n${text}`);
}
