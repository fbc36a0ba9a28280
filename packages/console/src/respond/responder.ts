import { EVENT_NAMES, type EventPublisher, type Logger } from "@gatehouse/service-kit";
import type { ConsoleConfig } from "../config/schema.js";
import type { Anomaly, ResponseOutcome } from "../state/anomaly-log.js";

const ADMIN_TIMEOUT_MS = 5_000;

export interface ResponderOptions {
  readonly respond: ConsoleConfig["respond"];
  /** Base URL of the auth server's admin API; without it `disable`/`revoke` fail (audited). */
  readonly adminUrl: string | undefined;
  /** The admin credential sent as a bearer token. */
  readonly adminToken: string | undefined;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
}

/**
 * Carries out the configured response to a freshly raised anomaly: `alert` is the anomaly event
 * itself; `disable` calls `POST /admin/services/{id}/disable` and `revoke` calls
 * `POST /admin/revocations` with `{ "service": id }` on the auth server's admin API. Each
 * `disable`/`revoke` is audited as a `console.response` event (and a log line) saying what was
 * done to whom, why (the anomaly id) and with what outcome. Anomalies without a service are
 * never acted on.
 */
export class Responder {
  readonly #options: ResponderOptions;

  constructor(options: ResponderOptions) {
    this.#options = options;
  }

  /** The response an anomaly gets before anything is done. */
  initial(anomaly: Pick<Anomaly, "kind" | "service">, live: boolean): ResponseOutcome {
    const action = this.#options.respond[anomaly.kind];
    if (action === "alert") return { action, outcome: "raised" };
    if (!live) return { action, outcome: "skipped", detail: "raised while replaying history" };
    if (anomaly.service === undefined) return { action, outcome: "skipped", detail: "no service to act on" };
    return { action, outcome: "pending" };
  }

  /** Performs a pending response; resolves with its outcome (never rejects). */
  async respond(anomaly: Anomaly): Promise<ResponseOutcome> {
    const { action } = anomaly.response;
    const service = anomaly.service;
    if (anomaly.response.outcome !== "pending" || service === undefined || action === "alert") return anomaly.response;
    const outcome = await this.#call(action, service);
    const { publisher, logger } = this.#options;
    publisher.publish({
      event: EVENT_NAMES.response,
      severity: outcome.outcome === "done" ? "warning" : "critical",
      service,
      detail: { anomalyId: anomaly.id, kind: anomaly.kind, action, outcome: outcome.outcome, ...(outcome.detail === undefined ? {} : { reason: outcome.detail }) },
    });
    logger.warn({ audit: true, anomalyId: anomaly.id, kind: anomaly.kind, action, service, outcome: outcome.outcome, reason: outcome.detail }, `response ${action} ${service}: ${outcome.outcome}`);
    return outcome;
  }

  async #call(action: "disable" | "revoke", service: string): Promise<ResponseOutcome> {
    const { adminUrl, adminToken } = this.#options;
    if (adminUrl === undefined || adminToken === undefined) {
      return { action, outcome: "failed", detail: "no admin API configured (authServer.adminUrl or issuer, and the admin credential)" };
    }
    const base = adminUrl.replace(/\/+$/, "");
    const url = action === "disable" ? `${base}/admin/services/${encodeURIComponent(service)}/disable` : `${base}/admin/revocations`;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json", accept: "application/json" },
        body: action === "disable" ? "{}" : JSON.stringify({ service }),
        signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
      });
      await response.body?.cancel();
      return response.ok ? { action, outcome: "done", detail: `HTTP ${String(response.status)}` } : { action, outcome: "failed", detail: `HTTP ${String(response.status)}` };
    } catch (error) {
      return { action, outcome: "failed", detail: error instanceof Error ? error.message : String(error) };
    }
  }
}
