import { createHash, generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, SignJWT, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import type { Middleware } from "koa";
import type { Logger } from "@gatehouse/service-kit";
import { publicJwksSchema } from "../config/schema.js";
import type { RegistryStore, ServiceRecord } from "../registry/store.js";
import type { ReplayCache } from "../replay/replay-cache.js";

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** The algorithms Kubernetes signs ServiceAccount tokens with (RS256 by default; ES256 with an EC key). */
const SERVICE_ACCOUNT_ALGORITHMS = ["RS256", "ES256", "ES384", "PS256"];
/** Lifetime of the internal assertion handed to oidc-provider (it is used within this request). */
const INTERNAL_ASSERTION_SECONDS = 60;
/** Largest body read here; oidc-provider's own limit for token requests. */
const BODY_LIMIT = 56 * 1024;
const REFUSED = Symbol("refused");

type ServiceAccountRecord = ServiceRecord & { readonly auth: Extract<ServiceRecord["auth"], { method: "kubernetes_service_account" }> };

export interface ServiceAccountAssertionsOptions {
  readonly registry: RegistryStore;
  readonly replay: ReplayCache;
  readonly logger: Logger;
  /** This server's issuer identifier: the `aud` a ServiceAccount token must carry. */
  readonly issuer: () => string;
  /** The caller's real address (the replay binding's key). */
  readonly source: (ctx: Parameters<Middleware>[0]) => string;
  readonly clockToleranceSeconds: number;
}

/**
 * Client authentication with a Kubernetes projected ServiceAccount token (`kubernetes_service_account`).
 *
 * oidc-provider authenticates JWT assertions only when `iss` = `sub` = `client_id` (RFC 7523 §3),
 * which a ServiceAccount token (iss = the cluster, sub = `system:serviceaccount:NS:NAME`) never is.
 * So this step, in front of the token endpoint, verifies the ServiceAccount token completely (the
 * cluster's key, the exact issuer and subject registered for one service, `aud` = this issuer,
 * `exp`/`iat`/`nbf`, a bounded lifetime, the replay rule below) and then swaps it for an assertion
 * that oidc-provider verifies the ordinary way: `iss` = `sub` = the service id, signed with a key
 * made in this process for this purpose and registered as those services' only key. Everything
 * after client authentication (scopes, resources, claims, audit) is oidc-provider's unchanged path.
 * A token that fails any check is left as it is, so oidc-provider refuses it with the standard
 * 401 `invalid_client` (its `sub` names no client); the reason is logged here.
 *
 * Replay: the kubelet hands a pod the same token until it rotates it (at 80 % of its lifetime), so
 * a pod presents one token many times. The token's `jti` is bound to the first source address that
 * presents it, until it expires: the same pod keeps using it, a copy presented from anywhere else is
 * a replay and refused.
 */
export class ServiceAccountAssertions {
  readonly #options: ServiceAccountAssertionsOptions;
  readonly #privateKey: KeyObject;
  readonly #publicJwk: Record<string, unknown>;
  readonly #keySets = new Map<string, JWTVerifyGetKey>();

  constructor(options: ServiceAccountAssertionsOptions) {
    this.#options = options;
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.#privateKey = privateKey;
    const kid = `k8s-bridge-${randomUUID()}`;
    this.#publicJwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" };
  }

  /** The key the internal assertions are signed with: the only key of every such service's client. */
  publicJwks(): { keys: Record<string, unknown>[] } {
    return { keys: [this.#publicJwk] };
  }

  /** The step itself: only `POST /token` bodies carrying a JWT assertion are looked at. */
  middleware(): Middleware {
    return async (ctx, next) => {
      if (ctx.method !== "POST" || ctx.path !== "/token" || !ctx.is("application/x-www-form-urlencoded")) {
        await next();
        return;
      }
      const registered = await this.#options.registry.list();
      const raw = registered.some((record) => record.auth.method === "kubernetes_service_account") ? await readBody(ctx.req) : undefined;
      if (raw === undefined) {
        await next();
        return;
      }
      const params = new URLSearchParams(raw);
      const assertion = params.get("client_assertion");
      let body = raw;
      if (params.get("client_assertion_type") === JWT_BEARER_ASSERTION && assertion !== null) {
        const outcome = await this.#authenticate(assertion, params.get("client_id"), this.#options.source(ctx));
        if (typeof outcome === "string") {
          params.set("client_assertion", await this.#internalAssertion(outcome));
          body = params.toString();
        } else if (outcome === REFUSED) {
          // Left to oidc-provider, whose client lookup by the token's `sub` fails: the standard 401
          // invalid_client, counted and audited like every failed authentication.
          params.delete("client_id");
          body = params.toString();
        }
      }
      // Already read: oidc-provider takes the body from here instead of the request stream.
      (ctx.request as { body?: unknown }).body = body;
      await next();
    };
  }

  /** The authenticated service id, {@link REFUSED}, or undefined when the assertion is no ServiceAccount token. */
  async #authenticate(assertion: string, clientId: string | null, source: string): Promise<string | typeof REFUSED | undefined> {
    let claimed: { iss?: unknown; sub?: unknown };
    try {
      claimed = decodeJwt(assertion);
    } catch {
      return undefined;
    }
    if (typeof claimed.sub !== "string" || !claimed.sub.startsWith("system:serviceaccount:")) return undefined;
    const refuse = (reason: string, service?: string): typeof REFUSED => {
      this.#options.logger.warn(
        { audit: true, event: "client.service_account_refused", service, subject: claimed.sub, issuer: claimed.iss, source, reason },
        "ServiceAccount token refused",
      );
      return REFUSED;
    };
    const record = (await this.#options.registry.list()).find(
      (candidate): candidate is ServiceAccountRecord =>
        candidate.auth.method === "kubernetes_service_account" && candidate.auth.subject === claimed.sub && candidate.auth.issuer === claimed.iss,
    );
    if (record === undefined) return refuse("no service is registered for this issuer and subject");
    if (record.disabled) return refuse("the service is disabled", record.id);
    if (clientId !== null && clientId !== record.id) return refuse(`client_id ${JSON.stringify(clientId.slice(0, 64))} is not this token's service`, record.id);
    const { auth } = record;
    let payload: { exp?: number; iat?: number; jti?: string };
    try {
      ({ payload } = await jwtVerify(assertion, this.#keySet(record), {
        algorithms: SERVICE_ACCOUNT_ALGORITHMS,
        issuer: auth.issuer,
        subject: auth.subject,
        audience: this.#options.issuer(),
        requiredClaims: ["exp", "iat"],
        clockTolerance: this.#options.clockToleranceSeconds,
      }));
    } catch (error) {
      return refuse(error instanceof joseErrors.JOSEError ? `${error.code}: ${error.message}` : "the cluster's keys cannot be read", record.id);
    }
    const { exp = 0, iat = 0 } = payload;
    if (exp - iat > auth.maxLifetimeSeconds) return refuse(`token lifetime ${exp - iat} s exceeds ${auth.maxLifetimeSeconds} s`, record.id);
    const id = typeof payload.jti === "string" ? payload.jti : createHash("sha256").update(assertion).digest("base64url");
    const key = createHash("sha256").update(`k8s\0${auth.issuer}\0${id}`).digest("base64url");
    const ttl = exp + this.#options.clockToleranceSeconds - Math.floor(Date.now() / 1000);
    let owner: string | undefined;
    try {
      owner = await this.#options.replay.bindOnce(key, source, ttl);
    } catch {
      return refuse("the replay cache is unavailable", record.id);
    }
    if (owner !== source) return refuse("replayed: this token was first presented from another address", record.id);
    return record.id;
  }

  #keySet(record: ServiceAccountRecord): JWTVerifyGetKey {
    const { auth } = record;
    const where = auth.jwksUri ?? `file:${auth.jwksFile ?? ""}`;
    let keySet = this.#keySets.get(where);
    if (keySet === undefined) {
      keySet =
        auth.jwksUri !== undefined
          ? createRemoteJWKSet(new URL(auth.jwksUri), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5_000 })
          : createLocalJWKSet(publicJwksSchema.parse(JSON.parse(readFileSync(auth.jwksFile ?? "", "utf8"))) as JSONWebKeySet);
      this.#keySets.set(where, keySet);
    }
    return keySet;
  }

  #internalAssertion(serviceId: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: this.#publicJwk["kid"] as string })
      .setIssuer(serviceId)
      .setSubject(serviceId)
      .setAudience(this.#options.issuer())
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${INTERNAL_ASSERTION_SECONDS}s`)
      .sign(this.#privateKey);
  }
}

/** The whole body as text, or undefined when it is larger than oidc-provider would take. */
async function readBody(stream: AsyncIterable<Buffer>): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > BODY_LIMIT) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}
