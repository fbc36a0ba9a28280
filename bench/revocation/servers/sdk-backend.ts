// An SDK-verified backend for the revocation benchmark: node:http, `authenticateRequest` from the built
// @gatehouse/sdk with `revocation` on. Usage: node sdk-backend.js <port> <issuer> <audience> <feed audience>
// (the client secret of `inventory` in INVENTORY_SECRET).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { pathToFileURL } from "node:url";
import { sdkIndex } from "../paths.js";

/** The part of @gatehouse/sdk's public API the benchmark uses. */
interface SdkModule {
  createTokenSource(options: unknown): { close(): void };
  createVerifier(options: unknown): { revocationReady(timeoutMs?: number): Promise<boolean>; close(): void };
  authenticateRequest(req: IncomingMessage, res: ServerResponse, options: unknown): Promise<unknown>;
}

const [port = "0", issuer = "", audience = "", feedAudience = ""] = process.argv.slice(2);
const sdk = (await import(pathToFileURL(sdkIndex).href)) as SdkModule;
const tokenSource = sdk.createTokenSource({
  issuer,
  clientId: "inventory",
  auth: { method: "client_secret_basic", clientSecret: process.env["INVENTORY_SECRET"] ?? "" },
});
const verifier = sdk.createVerifier({ issuer, audience, revocation: { auth: { tokenSource, resource: feedAudience } } });
const options = { verifier, audience };
const body = Buffer.from('{"ok":true}');
const server = createServer((req, res) => {
  void sdk.authenticateRequest(req, res, options).then((caller) => {
    if (caller === undefined) return;
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
console.log(`revocation feed synced: ${String(await verifier.revocationReady(20_000))}`);
server.listen(Number(port), "127.0.0.1", () => console.log(`sdk backend listening on 127.0.0.1:${port}`));

process.on("SIGTERM", () => {
  verifier.close();
  tokenSource.close();
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
