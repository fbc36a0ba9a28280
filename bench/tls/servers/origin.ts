// The fixed origin of the TLS benchmark: the SDK's `createServiceServer` (HTTPS, TLS 1.3, a client certificate from
// the trust bundle required, only the gateway's SPIFFE ID let in) with its own identity from the auth server's CA,
// renewed in the process, answering every request with the same small JSON body as the plain origin.
// Usage: node origin.js <port> <issuer> <trust bundle file> [max requests per connection]; the client secret of
// bench-origin in BENCH_ORIGIN_SECRET. With a maximum, the proxy in front reconnects (a new handshake) that often.
import { createServiceIdentity, createServiceServer } from "@gatehouse/sdk";

const [port = "0", issuer = "", trustBundle = "", maxRequests = "0"] = process.argv.slice(2);
const body = Buffer.from(JSON.stringify({ ok: true, service: "bench-origin", items: [1, 2, 3] }));
let refused = 0;

const identity = createServiceIdentity({
  issuer,
  clientId: "bench-origin",
  auth: { method: "client_secret_basic", clientSecret: process.env["BENCH_ORIGIN_SECRET"] ?? "" },
  trustBundle,
});
await identity.ready();
identity.onRotate(() => console.log(`certificate renewed (${new Date().toISOString()})`));
const server = createServiceServer(
  identity,
  (req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  },
  {
    allow: ["gateway"],
    onRefused: (refusal) => {
      refused += 1;
      if (refused <= 20) console.log(`refused ${refusal.spiffeId ?? "(no certificate)"}: ${refusal.reason}`);
    },
  },
);
server.keepAliveTimeout = 60_000;
server.maxRequestsPerSocket = Number(maxRequests);
server.on("tlsClientError", (error) => console.log(`TLS handshake failed: ${error.message}`));
server.listen(Number(port), "127.0.0.1", () => console.log(`https origin ${identity.spiffeId} listening on 127.0.0.1:${port}`));

process.on("SIGTERM", () => {
  identity.close();
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
