import { UsageError, type CommandOutput } from "./usage.js";

/** What `gatehouse-auth revoke` sends: one of the three, and an optional reason. */
export interface RevokeTarget {
  readonly jti?: string | undefined;
  readonly service?: string | undefined;
  readonly kid?: string | undefined;
  readonly reason?: string | undefined;
}

function adminCredential(env: NodeJS.ProcessEnv): string {
  const token = env["GATEHOUSE_ADMIN_TOKEN"];
  if (token === undefined || token === "") throw new UsageError("GATEHOUSE_ADMIN_TOKEN must hold the admin credential");
  return token;
}

function adminUrl(url: string): string {
  if (URL.parse(url) === null) throw new UsageError(`--url must be the auth server's (or its admin port's) URL, got ${JSON.stringify(url)}`);
  return url.replace(/\/$/, "");
}

async function call(url: string, init: RequestInit, out: CommandOutput): Promise<void> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${String(response.status)} ${text}`);
  out.stdout(text);
}

/**
 * `revoke --url URL (--service ID | --jti JTI | --kid KID) [--reason TEXT]`: `POST /admin/revocations`
 * with the admin credential from `GATEHOUSE_ADMIN_TOKEN`; prints the recorded entry (JSON). The
 * server validates the target (an unknown service is its 400, printed with exit code 1).
 */
export async function revoke(url: string, target: RevokeTarget, env: NodeJS.ProcessEnv, out: CommandOutput): Promise<void> {
  const set = [target.jti, target.service, target.kid].filter((v) => v !== undefined);
  if (set.length !== 1) throw new UsageError("revoke takes exactly one of --service, --jti, --kid");
  const body = Object.fromEntries(Object.entries(target).filter(([, v]) => v !== undefined));
  await call(`${adminUrl(url)}/admin/revocations`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminCredential(env)}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  }, out);
}

/** `revocations --url URL`: `GET /admin/revocations`; prints the active entries (JSON). */
export async function listRevocations(url: string, env: NodeJS.ProcessEnv, out: CommandOutput): Promise<void> {
  await call(`${adminUrl(url)}/admin/revocations`, { headers: { authorization: `Bearer ${adminCredential(env)}` } }, out);
}
