// The baseline of the token benchmark: a bare Koa handler that reads the form body and signs the same
// RFC 9068 JWT the auth server issues (same claims, ES256, same key type), with no client
// authentication, no policy, no replay cache and no logging. Started as its own process:
//   node dist/auth-server/servers/bare-signer.js <port> <private JWK file>
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { importJWK, SignJWT, type JWK } from "jose";
import Koa from "koa";

const port = Number(process.argv[2] ?? "0");
const jwk = JSON.parse(readFileSync(process.argv[3] ?? "", "utf8")) as JWK & { kid: string };
const key = await importJWK(jwk, "ES256");
const issuer = `http://127.0.0.1:${port}`;
const attributes = { team: "bench", environment: "bench" };

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.method !== "POST" || ctx.path !== "/token") {
    ctx.status = 404;
    return;
  }
  let body = "";
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) body += chunk.toString("utf8");
  const params = new URLSearchParams(body);
  const scope = params.get("scope") ?? "";
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    "urn:gatehouse:attributes": attributes,
    jti: randomBytes(32).toString("base64url"),
    sub: "bench-basic",
    iat: now,
    exp: now + 300,
    scope,
    client_id: "bench-basic",
    iss: issuer,
    aud: params.get("resource") ?? "",
  })
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: jwk.kid })
    .sign(key);
  ctx.set("Cache-Control", "no-store");
  ctx.body = { access_token: token, expires_in: 300, token_type: "Bearer", scope };
});
app.listen(port, "127.0.0.1", () => {
  console.log(JSON.stringify({ msg: "bare signer listening", port }));
});
