// The baseline: a bare http-proxy 1.18.1 passthrough with no auth.
// Usage: node passthrough.js <port> <origin url> <default|keepalive>
//   default:   `createProxyServer({ target })`, the library's defaults: no agent, so every request
//              opens a new upstream connection (http-proxy sends `Connection: close` upstream).
//   keepalive: the same with a keep-alive `http.Agent`, upstream connections reused.
import { Agent, createServer } from "node:http";
import httpProxy from "http-proxy";

const port = Number(process.argv[2] ?? "0");
const target = process.argv[3] ?? "http://127.0.0.1:7000";
const mode = process.argv[4] ?? "default";

const proxy = httpProxy.createProxyServer(mode === "keepalive" ? { target, agent: new Agent({ keepAlive: true }) } : { target });
proxy.on("error", (_error, _req, res) => {
  if ("writeHead" in res && !res.headersSent) {
    res.writeHead(502, { "content-type": "application/json" });
    res.end('{"error":"bad_gateway"}');
  } else {
    res.destroy();
  }
});

const server = createServer((req, res) => {
  proxy.web(req, res);
});
server.keepAliveTimeout = 60_000;

server.listen(port, "127.0.0.1", () => {
  console.log(`http-proxy passthrough (${mode}) listening on 127.0.0.1:${port} -> ${target}`);
});

process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
