// The NetworkPolicies of deploy/kubernetes allow exactly the intended paths: only the gateway takes
// ingress from outside, the backends accept only the gateway, Redis only its clients, and nothing
// else connects to anything (every pair of pods and every port, both overlays).
import { describe, expect, it } from "vitest";
import { type Connection, type PodRef, PolicySet } from "./network-policy.js";
import { type KubeObject, overlays, render } from "./render.js";

interface PodTemplate {
  readonly metadata: { readonly labels: Readonly<Record<string, string>> };
  readonly spec: { readonly containers: readonly { readonly ports?: readonly { readonly containerPort: number; readonly protocol?: string }[] }[] };
}

const namespaceLabels = { "kubernetes.io/metadata.name": "gatehouse" };
const outside: PodRef = { name: "outside", namespace: "ingress", namespaceLabels: { "kubernetes.io/metadata.name": "ingress" }, labels: { app: "ingress-controller" } };
const monitoring: PodRef = {
  name: "monitoring",
  namespace: "monitoring",
  namespaceLabels: { "kubernetes.io/metadata.name": "monitoring", "gatehouse.io/monitoring": "true" },
  labels: { app: "prometheus" },
};
const dns: PodRef = { name: "kube-dns", namespace: "kube-system", namespaceLabels: { "kubernetes.io/metadata.name": "kube-system" }, labels: { "k8s-app": "kube-dns" } };

/** Every intended path, as "from → to:port/protocol" (the proxied port is open to anyone). */
const intended = new Set([
  "outside → gateway:8080/TCP",
  "monitoring → gateway:8080/TCP",
  "monitoring → gateway:9090/TCP",
  "gateway → auth-server:4000/TCP",
  "gateway → orders:7001/TCP",
  "gateway → inventory:7002/TCP",
  "gateway → redis:6379/TCP",
  "gateway → redis:26379/TCP",
  "auth-server → redis:6379/TCP",
  "auth-server → redis:26379/TCP",
  "orders → gateway:8080/TCP",
  "orders → auth-server:4000/TCP",
  "inventory → auth-server:4000/TCP",
  "redis → redis:6379/TCP",
  "redis → redis:26379/TCP",
  ...["gateway", "auth-server", "orders", "inventory", "redis"].flatMap((pod) => [`${pod} → kube-dns:53/UDP`, `${pod} → kube-dns:53/TCP`]),
]);

function workloads(objects: readonly KubeObject[]): { readonly pod: PodRef; readonly ports: readonly { port: number; protocol: "TCP" | "UDP" }[] }[] {
  return objects
    .filter((object) => object.kind === "Deployment" || object.kind === "StatefulSet")
    .map((object) => {
      const template = object.spec?.["template"] as PodTemplate;
      const ports = template.spec.containers.flatMap((container) =>
        (container.ports ?? []).map((port) => ({ port: port.containerPort, protocol: (port.protocol ?? "TCP") as "TCP" | "UDP" })),
      );
      return { pod: { name: object.metadata.name, namespace: "gatehouse", namespaceLabels, labels: template.metadata.labels }, ports };
    });
}

const describeConnection = (connection: Connection) => `${connection.from.name} → ${connection.to.name}:${connection.port}/${connection.protocol}`;

describe.each(overlays)("NetworkPolicies of deploy/kubernetes/%s", (overlay) => {
  const objects = render(overlay);
  const policies = new PolicySet(objects);
  const pods = workloads(objects);
  const destinations = [...pods, { pod: dns, ports: [{ port: 53, protocol: "UDP" as const }, { port: 53, protocol: "TCP" as const }] }];
  const sources = [...pods.map(({ pod }) => pod), outside, monitoring];

  it("allow exactly the intended paths between every pair of pods, on every port", () => {
    const allowed = new Set<string>();
    for (const from of sources) {
      for (const { pod: to, ports } of destinations) {
        for (const { port, protocol } of ports) {
          // Traffic between two pods outside the namespace is not these policies' business.
          if (from.namespace !== "gatehouse" && to.namespace !== "gatehouse") continue;
          const connection = { from, to, port, protocol };
          if (policies.allows(connection)) allowed.add(describeConnection(connection));
        }
      }
    }
    expect([...allowed].sort()).toEqual([...intended].sort());
  });

  it("the evaluator applies default deny, per-port rules and the open default of a namespace without policies", () => {
    const stranger: PodRef = { name: "stranger", namespace: "other", namespaceLabels: {}, labels: { "app.kubernetes.io/name": "stranger" } };
    const insider: PodRef = { name: "insider", namespace: "gatehouse", namespaceLabels, labels: { "app.kubernetes.io/name": "insider" } };
    const gateway = pods.find(({ pod }) => pod.name === "gateway")?.pod;
    if (gateway === undefined) throw new Error("no gateway");
    expect(policies.allows({ from: stranger, to: gateway, port: 8080, protocol: "TCP" })).toBe(true);
    expect(policies.allows({ from: stranger, to: gateway, port: 9090, protocol: "TCP" })).toBe(false);
    expect(policies.allows({ from: insider, to: gateway, port: 8080, protocol: "TCP" }), "default deny of egress").toBe(false);
    expect(new PolicySet([]).allows({ from: outside, to: gateway, port: 1, protocol: "TCP" })).toBe(true);
  });
});
