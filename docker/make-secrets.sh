#!/usr/bin/env bash
# One-time set-up of the secrets docker-compose.yml mounts under /run/secrets. Writes into
# GATEHOUSE_SECRETS_DIR (default docker/secrets/, git-ignored), a folder only its owner can enter:
#
#   signing-keys.json            auth server: private JWKS of token signing keys (ES256), in the
#                                format of `gatehouse-auth keys generate` (rotate it with `keys rotate`)
#   redis-auth-server.password   auth server: its Redis password (Redis user auth-server)
#   redis-gateway.password       gateway: its Redis password (Redis user gateway)
#   redis-console.password       console: its Redis password (Redis user console: the event stream only)
#   redis-replication.password   Redis replicas and Sentinel (user replication; the Kubernetes
#                                overlay only: compose runs one Redis)
#   redis-users.acl              redis: the ACL file (docker/redis/users.acl with the passwords'
#                                SHA-256 hashes; `default` off, one user per component, a
#                                `healthcheck` user that may run PING and nothing else)
#   registry-mac.key             auth server: the key that MACs registry entries in Redis (Redis
#                                never sees it)
#   demo-cli.secret              auth server: client secret of the walkthrough client `demo-cli`
#   gateway.secret               auth server and gateway: the gateway's client secret (it reads the
#                                revocation feed as the registered service `gateway`)
#   operator.secret              auth server: client secret of `operator`, who may get admin API
#                                tokens (scope gatehouse:admin) to revoke with
#   ca.crt                       every service: the certificate authority of service certificates (a
#                                self-signed P-256 root made with openssl, SPIFFE trust domain
#                                gatehouse.internal): the auth server issues from it, the others trust it
#   ca.key                       auth server only: the CA's private key
#   orders.credentials.json      orders: its client id, issuer, resource and private JWK
#   orders.jwks.json             auth server: orders' public JWKS (private_key_jwt)
#   inventory.credentials.json   inventory: the same for inventory
#   inventory.jwks.json          auth server: inventory's public JWKS
#   console-admin.token          console: the credential its page and API accept
#
#   docker/make-secrets.sh          # creates what is missing, keeps what exists
#   docker/make-secrets.sh --force  # replaces everything (every running token becomes invalid)
#
# The files are readable by every user of the host that can enter the folder (the containers run as
# uid 1000 and 999 and read them through bind mounts); the folder itself is mode 0700.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${GATEHOUSE_SECRETS_DIR:-$repo/docker/secrets}"
issuer="${GATEHOUSE_ISSUER:-https://auth-server:4000}"
force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac
# Node.js 24 (it runs the repository's .ts helpers): the bootstrap's unless the one on PATH is new enough.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[ "$node_major" -ge 24 ] || export PATH="$("$repo/scripts/bootstrap.sh" --print-path):$PATH"

mkdir -p "$dir"
chmod 0700 "$dir"
GATEHOUSE_REPO="$repo" GATEHOUSE_SECRETS_DIR="$dir" GATEHOUSE_ISSUER="$issuer" FORCE="$force" node --input-type=module -e '
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.GATEHOUSE_SECRETS_DIR;
const issuer = process.env.GATEHOUSE_ISSUER;
const force = process.env.FORCE === "1";

function write(name, text) {
  const file = join(dir, name);
  writeFileSync(file, text, { mode: 0o644 });
  chmodSync(file, 0o644);
  console.log(`make-secrets: wrote ${file}`);
}
function missing(...names) {
  return force || names.some((name) => !existsSync(join(dir, name)));
}
function keyPair(kidPrefix) {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `${kidPrefix}-${randomBytes(6).toString("hex")}`;
  const meta = { kid, alg: "ES256", use: "sig" };
  return { privateJwk: { ...privateKey.export({ format: "jwk" }), ...meta }, publicJwk: { ...publicKey.export({ format: "jwk" }), ...meta } };
}
const json = (value) => `${JSON.stringify(value, null, 2)}\n`;

// The key file `gatehouse-auth keys generate` writes: one ES256 key, its kid the RFC 7638 thumbprint.
if (missing("signing-keys.json")) {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const { x, y, d } = privateKey.export({ format: "jwk" });
  const kid = createHash("sha256").update(JSON.stringify({ crv: "P-256", kty: "EC", x, y })).digest("base64url");
  const key = { kty: "EC", crv: "P-256", x, y, d, kid, alg: "ES256", use: "sig", createdAt: new Date().toISOString() };
  write("signing-keys.json", json({ keys: [key] }));
}

// One Redis user per component; the ACL file holds only the SHA-256 hashes of their passwords.
const redisUsers = [["auth-server", "redis-auth-server.password"], ["gateway", "redis-gateway.password"], ["console", "redis-console.password"], ["replication", "redis-replication.password"]];
if (missing("redis-users.acl", ...redisUsers.map(([, file]) => file))) {
  for (const [, file] of redisUsers) write(file, randomBytes(32).toString("hex"));
  const { renderRedisAcl } = await import(`${process.env.GATEHOUSE_REPO}/scripts/redis-acl.ts`);
  write("redis-users.acl", renderRedisAcl(new Map(redisUsers.map(([user, file]) => [user, readFileSync(join(dir, file), "utf8")]))));
}

if (missing("registry-mac.key")) write("registry-mac.key", randomBytes(32).toString("base64url"));

// The service certificate CA: the auth server signs with ca.key (ca.certFile/ca.keyFile), everyone trusts ca.crt.
if (missing("ca.crt", "ca.key")) {
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
    "-subj", "/O=Gatehouse/CN=Gatehouse compose CA",
    "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.crt"),
  ], { stdio: ["ignore", "ignore", "pipe"] });
  for (const name of ["ca.crt", "ca.key"]) chmodSync(join(dir, name), 0o644);
  console.log(`make-secrets: wrote ${join(dir, "ca.crt")} and ca.key`);
}

for (const name of ["demo-cli", "gateway", "operator"]) {
  if (missing(`${name}.secret`)) write(`${name}.secret`, randomBytes(24).toString("base64url"));
}

if (missing("console-admin.token")) write("console-admin.token", randomBytes(32).toString("base64url"));

for (const [service, resource] of [["orders", "https://orders.internal"], ["inventory", "https://inventory.internal"]]) {
  if (!missing(`${service}.credentials.json`, `${service}.jwks.json`)) continue;
  const { privateJwk, publicJwk } = keyPair(service);
  write(`${service}.credentials.json`, json({ clientId: service, issuer, resource, privateJwk }));
  write(`${service}.jwks.json`, json({ keys: [publicJwk] }));
}
'
