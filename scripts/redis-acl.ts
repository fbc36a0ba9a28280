// Writes the Redis ACL file from the shipped template docker/redis/users.acl, with each user's
// password hash filled in. docker/make-secrets.sh and the tests that start a Redis with the
// project's ACL rules both run it, so both load exactly the shipped rules:
//
//   node scripts/redis-acl.ts OUT_FILE auth-server=PASSWORD_FILE gateway=PASSWORD_FILE replication=PASSWORD_FILE
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

/** The ACL template shipped with the project. */
export const ACL_TEMPLATE = new URL("../docker/redis/users.acl", import.meta.url);

/** The ACL file for these passwords: the template's user lines, each `{{sha256:NAME}}` replaced by the SHA-256 of NAME's password. */
export function renderRedisAcl(passwords: ReadonlyMap<string, string>, template = readFileSync(ACL_TEMPLATE, "utf8")): string {
  const fill = (line: string) =>
    line.replace(/\{\{sha256:([\w-]+)\}\}/g, (_match, name: string) => {
      const password = passwords.get(name);
      if (password === undefined) throw new Error(`users.acl names ${name}, which was given no password file`);
      return createHash("sha256").update(password).digest("hex");
    });
  // Redis' ACL files take no comments: only the user lines are written.
  const users = template.split("\n").filter((line) => line.startsWith("user "));
  return `${users.map(fill).join("\n")}\n`;
}

if (import.meta.main) {
  const [out, ...pairs] = process.argv.slice(2);
  if (out === undefined || pairs.length === 0) {
    process.stderr.write("usage: node scripts/redis-acl.ts OUT_FILE USER=PASSWORD_FILE...\n");
    process.exit(2);
  }
  const passwords = new Map(
    pairs.map((pair) => {
      const eq = pair.indexOf("=");
      return [pair.slice(0, eq), readFileSync(pair.slice(eq + 1), "utf8").replace(/\r?\n$/, "")] as const;
    }),
  );
  writeFileSync(out, renderRedisAcl(passwords), { mode: 0o644 });
}
