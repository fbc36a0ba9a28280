import { readFileSync } from "node:fs";
import type { ClientMetadata } from "oidc-provider";
import { CERTIFICATE_GRANT_TYPE } from "../ca/certificate-grant.js";
import { spiffeIdOf } from "../ca/spiffe.js";
import { AuthServerError } from "../errors.js";
import { publicJwksSchema, type PublicJwks } from "../config/schema.js";
import type { ServiceRecord } from "./store.js";

/** What the current request's connection says, for {@link ClientCredentials.metadata}. */
export interface TransportFacts {
  readonly trustDomain: string;
  /**
   * The URI SANs of the certificate presented on this TLS connection (empty without one). A token is bound to it
   * only when one of them is the requesting service's SPIFFE ID: a certificate of another service (the gateway,
   * forwarding a caller's token request to its public token route) binds nothing.
   */
  readonly clientCertificateUris: readonly string[];
  /** A certificate request authenticated by nothing but the current certificate (renewal). */
  readonly renewal: boolean;
}

/**
 * Turns a registry entry into the OAuth client metadata oidc-provider authenticates against.
 * Secrets come from the variable named by `secretEnv` or the file named by `secretFile`; public
 * JWKS files are read once and cached. `check` fails with `missing_secret` naming what is missing,
 * so a server refuses to start (or the admin API refuses a service) instead of failing per request.
 */
export class ClientCredentials {
  readonly #env: NodeJS.ProcessEnv;
  readonly #files = new Map<string, string>();
  readonly #jwksFiles = new Map<string, PublicJwks>();
  readonly #serviceAccountKeys: (() => { keys: Record<string, unknown>[] }) | undefined;

  /**
   * @param serviceAccountKeys the key set of `kubernetes_service_account` clients: the key their
   *   verified ServiceAccount tokens are exchanged for (see `provider/service-account-assertion.ts`).
   */
  constructor(env: NodeJS.ProcessEnv, serviceAccountKeys?: () => { keys: Record<string, unknown>[] }) {
    this.#env = env;
    this.#serviceAccountKeys = serviceAccountKeys;
  }

  /** Throws `missing_secret` / `invalid_config` when the service's credential cannot be resolved. */
  check(record: ServiceRecord): void {
    if (record.auth.method === "kubernetes_service_account") {
      if (record.auth.jwksFile !== undefined) this.#jwksFile(record.id, record.auth.jwksFile);
      return;
    }
    this.metadata(record);
  }

  /**
   * The client metadata of an enabled service, for the request at hand (`transport`): a
   * `tls_client_auth` service is matched by its SPIFFE ID as URI SAN; its tokens are
   * certificate-bound when it is registered with `certificateBoundTokens` or presented a client
   * certificate naming it; a certificate renewal authenticates any service by its current certificate.
   */
  metadata(record: ServiceRecord, transport?: TransportFacts): ClientMetadata {
    const base: ClientMetadata = {
      client_id: record.id,
      grant_types: ["client_credentials", CERTIFICATE_GRANT_TYPE],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: record.auth.method === "kubernetes_service_account" ? "private_key_jwt" : record.auth.method,
      tls_client_certificate_bound_access_tokens:
        record.certificateBoundTokens === true || (transport !== undefined && transport.clientCertificateUris.includes(spiffeIdOf(transport.trustDomain, record.id))),
    };
    if (record.auth.method === "tls_client_auth" || transport?.renewal === true) {
      // Before the trust domain is known (the start-up check) there is nothing to resolve.
      const san = transport === undefined ? {} : { tls_client_auth_san_uri: spiffeIdOf(transport.trustDomain, record.id) };
      return { ...base, token_endpoint_auth_method: "tls_client_auth", ...san };
    }
    const auth = record.auth;
    if (auth.method === "kubernetes_service_account") {
      if (this.#serviceAccountKeys === undefined) throw new AuthServerError("invalid_config", `service "${record.id}": kubernetes_service_account is not available here`);
      return { ...base, jwks: this.#serviceAccountKeys() };
    }
    if (auth.method === "private_key_jwt") {
      if (auth.jwks !== undefined) return { ...base, jwks: { keys: auth.jwks.keys } };
      if (auth.jwksUri !== undefined) return { ...base, jwks_uri: auth.jwksUri };
      return { ...base, jwks: { keys: this.#jwksFile(record.id, auth.jwksFile ?? "").keys } };
    }
    return { ...base, client_secret: this.#secret(record.id, auth.secretEnv, auth.secretFile) };
  }

  #secret(id: string, env: string | undefined, file: string | undefined): string {
    if (env !== undefined) {
      const value = this.#env[env];
      if (value === undefined || value === "") {
        throw new AuthServerError("missing_secret", `service "${id}": environment variable ${env} (its client secret) is not set`);
      }
      return value;
    }
    const path = file ?? "";
    const cached = this.#files.get(path);
    if (cached !== undefined) return cached;
    let value: string;
    try {
      value = readFileSync(path, "utf8").trim();
    } catch (error) {
      throw new AuthServerError("missing_secret", `service "${id}": secret file ${path} cannot be read`, { cause: error });
    }
    if (value === "") throw new AuthServerError("missing_secret", `service "${id}": secret file ${path} is empty`);
    this.#files.set(path, value);
    return value;
  }

  #jwksFile(id: string, path: string): PublicJwks {
    const cached = this.#jwksFiles.get(path);
    if (cached !== undefined) return cached;
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw new AuthServerError("invalid_config", `service "${id}": JWKS file ${path} cannot be read as JSON`, { cause: error });
    }
    const result = publicJwksSchema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new AuthServerError(
        "invalid_config",
        `service "${id}": JWKS file ${path}: ${issue?.path.map(String).join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
      );
    }
    this.#jwksFiles.set(path, result.data);
    return result.data;
  }
}
