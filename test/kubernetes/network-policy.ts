// A small evaluator of Kubernetes NetworkPolicy (networking.k8s.io/v1) semantics, enough to ask
// "may pod A open a connection to pod B on port P" of a set of policies: a pod selected by no policy
// of a direction is open in that direction; a selected pod accepts only what some rule allows; a
// connection needs the source's egress and the destination's ingress. ipBlock peers match no pod.
import type { KubeObject } from "./render.js";

type Labels = Readonly<Record<string, string>>;

interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
}
interface Peer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: unknown;
}
interface PortRule {
  readonly protocol?: string;
  readonly port?: number | string;
}
interface Rule {
  readonly from?: readonly Peer[];
  readonly to?: readonly Peer[];
  readonly ports?: readonly PortRule[];
}
interface PolicySpec {
  readonly podSelector: LabelSelector;
  readonly policyTypes?: readonly ("Ingress" | "Egress")[];
  readonly ingress?: readonly Rule[];
  readonly egress?: readonly Rule[];
}

/** A pod as the evaluator sees it: its namespace (with that namespace's labels) and its labels. */
export interface PodRef {
  readonly name: string;
  readonly namespace: string;
  readonly namespaceLabels: Labels;
  readonly labels: Labels;
}

export interface Connection {
  readonly from: PodRef;
  readonly to: PodRef;
  readonly port: number;
  readonly protocol: "TCP" | "UDP";
}

function selects(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const value = labels[expression.key];
    const values = expression.values ?? [];
    switch (expression.operator) {
      case "In":
        if (value === undefined || !values.includes(value)) return false;
        break;
      case "NotIn":
        if (value !== undefined && values.includes(value)) return false;
        break;
      case "Exists":
        if (value === undefined) return false;
        break;
      case "DoesNotExist":
        if (value !== undefined) return false;
        break;
      default:
        throw new Error(`unknown selector operator ${expression.operator}`);
    }
  }
  return true;
}

function peerMatches(peer: Peer, policyNamespace: string, pod: PodRef): boolean {
  if (peer.ipBlock !== undefined) return false;
  const namespaceOk = peer.namespaceSelector === undefined ? pod.namespace === policyNamespace : selects(peer.namespaceSelector, pod.namespaceLabels);
  const podOk = peer.podSelector === undefined || selects(peer.podSelector, pod.labels);
  return namespaceOk && podOk;
}

function portMatches(rule: Rule, port: number, protocol: string): boolean {
  if (rule.ports === undefined || rule.ports.length === 0) return true;
  return rule.ports.some((candidate) => (candidate.protocol ?? "TCP") === protocol && (candidate.port === undefined || candidate.port === port));
}

export class PolicySet {
  readonly #policies: readonly { readonly namespace: string; readonly spec: PolicySpec }[];

  constructor(objects: readonly KubeObject[]) {
    this.#policies = objects
      .filter((object) => object.kind === "NetworkPolicy")
      .map((object) => {
        const spec = object.spec as unknown as PolicySpec;
        const ports = [...(spec.ingress ?? []), ...(spec.egress ?? [])].flatMap((rule) => rule.ports ?? []);
        if (ports.some((port) => typeof port.port === "string")) throw new Error(`named ports are not evaluated (${object.metadata.name})`);
        return { namespace: object.metadata.namespace ?? "default", spec };
      });
  }

  allows(connection: Connection): boolean {
    return this.#direction("Egress", connection.from, connection.to, connection) && this.#direction("Ingress", connection.to, connection.from, connection);
  }

  #direction(type: "Ingress" | "Egress", subject: PodRef, peer: PodRef, connection: Connection): boolean {
    const applying = this.#policies.filter(
      ({ namespace, spec }) => namespace === subject.namespace && selects(spec.podSelector, subject.labels) && types(spec).includes(type),
    );
    if (applying.length === 0) return true;
    return applying.some(({ namespace, spec }) =>
      (type === "Ingress" ? spec.ingress ?? [] : spec.egress ?? []).some((rule) => {
        const peers = type === "Ingress" ? rule.from : rule.to;
        const peerOk = peers === undefined || peers.length === 0 || peers.some((candidate) => peerMatches(candidate, namespace, peer));
        return peerOk && portMatches(rule, connection.port, connection.protocol);
      }),
    );
  }
}

function types(spec: PolicySpec): readonly string[] {
  if (spec.policyTypes !== undefined) return spec.policyTypes;
  return spec.egress === undefined ? ["Ingress"] : ["Ingress", "Egress"];
}
