#!/usr/bin/env bash
# One-time set-up of the secrets docker-compose.yml mounts under /run/secrets. Writes into
# GATEHOUSE_SECRETS_DIR (default docker/secrets/, git-ignored), a folder only its owner can enter:
#
#   signing-keys.json            auth server: private JWKS of token signing keys (ES256), in the
#                                format of `gatehouse-auth keys generate` (rotate it with `keys rotate`)
#   redis_password               auth server, gateway: the Redis password
#   redis.conf                   redis: `requirepass` with the same password, and a `healthcheck`
#                                user that may run PING and nothing else
#   demo-cli.secret              auth server: client secret of the walkthrough client `demo-cli`
#   orders.credentials.json      orders: its client id, issuer, resource and private JWK
#   orders.jwks.json             auth server: orders' public JWKS (private_key_jwt)
#   inventory.credentials.json   inventory: the same for inventory
#   inventory.jwks.json          auth server: inventory's public JWKS
#
#   docker/make-secrets.sh          # creates what is missing, keeps what exists
#   docker/make-secrets.sh --force  # replaces everything (every running token becomes invalid)
#
# The files are readable by every user of the host that can enter the folder (the containers run as
# uid 1000 and 999 and read them through bind mounts); the folder itself is mode 0700.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${GATEHOUSE_SECRETS_DIR:-$repo/docker/secrets}"
issuer="${GATEHOUSE_ISSUER:-http://auth-server:4000}"
force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac
command -v node >/dev/null || export PATH="$("$repo/scripts/bootstrap.sh" --print-path):$PATH"

mkdir -p "$dir"
chmod 0700 "$dir"
GATEHOUSE_SECRETS_DIR="$dir" GATEHOUSE_ISSUER="$issuer" FORCE="$force" node --input-type=module -e '
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
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

if (missing("redis_password", "redis.conf")) {
  const password = randomBytes(32).toString("hex");
  write("redis_password", password);
  write("redis.conf", `requirepass ${password}\nuser healthcheck on nopass -@all +ping\n`);
}

if (missing("demo-cli.secret")) write("demo-cli.secret", randomBytes(24).toString("base64url"));

for (const [service, resource] of [["orders", "https://orders.internal"], ["inventory", "https://inventory.internal"]]) {
  if (!missing(`${service}.credentials.json`, `${service}.jwks.json`)) continue;
  const { privateJwk, publicJwk } = keyPair(service);
  write(`${service}.credentials.json`, json({ clientId: service, issuer, resource, privateJwk }));
  write(`${service}.jwks.json`, json({ keys: [publicJwk] }));
}
'
