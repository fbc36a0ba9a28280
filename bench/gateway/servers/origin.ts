// The fixed origin behind every proxy in the benchmark: node:http answering every request with the
// same small JSON body. Usage: node origin.js <port>
import { createServer } from "node:http";

const body = Buffer.from(JSON.stringify({ ok: true, service: "bench-origin", items: [1, 2, 3] }));
const port = Number(process.argv[2] ?? "0");

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;

server.listen(port, "127.0.0.1", () => {
  console.log(`origin listening on 127.0.0.1:${port}`);
});

process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
