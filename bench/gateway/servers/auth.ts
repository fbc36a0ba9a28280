// A real auth server for the benchmark: `createAuthServer` from the built @gatehouse/auth-server,
// with the benchmark's registry. Usage: node auth.js <port> <config.json>
// The config is a plain auth server config value; client secrets come from this process's env.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { authServerIndex } from "../paths.js";

/** The part of @gatehouse/auth-server's public API the benchmark uses. */
interface AuthServerModule {
  parseAuthServerConfig(value: unknown, source?: string): unknown;
  createAuthServer(config: unknown): {
    listen(port: number, host?: string): Promise<{ port: number; issuer: string }>;
    close(): Promise<void>;
  };
}

const port = Number(process.argv[2] ?? "0");
const configFile = process.argv[3] ?? "auth-server.json";

const auth = (await import(pathToFileURL(authServerIndex).href)) as AuthServerModule;
const config = auth.parseAuthServerConfig(JSON.parse(readFileSync(configFile, "utf8")), configFile);
const server = auth.createAuthServer(config);
const { issuer } = await server.listen(port, "127.0.0.1");
console.log(`auth server listening, issuer ${issuer}`);

process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
