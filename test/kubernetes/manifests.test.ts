// deploy/kubernetes: every rendered object is valid against the Kubernetes API schemas, every pod
// meets the `restricted` Pod Security Standard field by field, and the operational rules hold
// (probes, resources, secrets only from Secret volumes, replicas, autoscaling, disruption budgets).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as apps from "kubernetes-models/apps/v1";
import * as autoscaling from "kubernetes-models/autoscaling/v2";
import * as networking from "kubernetes-models/networking.k8s.io/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as core from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { type KubeObject, overlays, render, repoRoot } from "./render.js";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

const models: Readonly<Record<string, ModelClass>> = {
  "v1/Namespace": core.Namespace,
  "v1/ConfigMap": core.ConfigMap,
  "v1/Service": core.Service,
  "apps/v1/Deployment": apps.Deployment,
  "apps/v1/StatefulSet": apps.StatefulSet,
  "autoscaling/v2/HorizontalPodAutoscaler": autoscaling.HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": policy.PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": networking.NetworkPolicy,
};

interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly privileged?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly capabilities?: { readonly drop?: readonly string[]; readonly add?: readonly string[] };
  readonly seccompProfile?: { readonly type?: string };
  readonly seLinuxOptions?: { readonly type?: string };
  readonly procMount?: string;
  readonly sysctls?: readonly unknown[];
}
interface Probe {
  readonly httpGet?: { readonly path?: string; readonly port?: string | number };
  readonly tcpSocket?: unknown;
  readonly exec?: unknown;
}
interface Container {
  readonly name: string;
  readonly image: string;
  readonly securityContext?: SecurityContext;
  readonly ports?: readonly { readonly containerPort: number; readonly hostPort?: number; readonly name?: string }[];
  readonly env?: readonly { readonly name: string; readonly value?: string; readonly valueFrom?: Readonly<Record<string, unknown>> }[];
  readonly envFrom?: readonly unknown[];
  readonly resources?: { readonly requests?: Readonly<Record<string, string>>; readonly limits?: Readonly<Record<string, string>> };
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
}
interface PodSpec {
  readonly hostNetwork?: boolean;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
  readonly securityContext?: SecurityContext;
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly volumes?: readonly Readonly<Record<string, unknown>>[];
  readonly automountServiceAccountToken?: boolean;
}

/** The pod templates of the workloads, with the workload that owns each. */
function podTemplates(objects: readonly KubeObject[]): { readonly owner: KubeObject; readonly pod: PodSpec }[] {
  return objects
    .filter((object) => object.kind === "Deployment" || object.kind === "StatefulSet")
    .map((owner) => ({ owner, pod: (owner.spec?.["template"] as { spec: PodSpec }).spec }));
}

// The `restricted` profile of the Pod Security Standards, one check per control
// (kubernetes.io/docs/concepts/security/pod-security-standards/#restricted).
const allowedVolumeTypes = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);

function restrictedViolations(pod: PodSpec): string[] {
  const problems: string[] = [];
  if (pod.hostNetwork === true || pod.hostPID === true || pod.hostIPC === true) problems.push("host namespaces");
  for (const volume of pod.volumes ?? []) {
    const types = Object.keys(volume).filter((key) => key !== "name");
    for (const type of types) if (!allowedVolumeTypes.has(type)) problems.push(`volume type ${type}`);
  }
  const podContext = pod.securityContext ?? {};
  if (podContext.runAsUser === 0) problems.push("pod runAsUser 0");
  if (podContext.sysctls !== undefined && podContext.sysctls.length > 0) problems.push("pod sysctls");
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    const where = `container ${container.name}`;
    const context = container.securityContext ?? {};
    if (context.privileged === true) problems.push(`${where}: privileged`);
    if (context.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
    if ((context.runAsNonRoot ?? podContext.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot is not true`);
    if ((context.runAsUser ?? podContext.runAsUser) === 0) problems.push(`${where}: runAsUser 0`);
    const seccomp = context.seccompProfile?.type ?? podContext.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") problems.push(`${where}: seccompProfile ${String(seccomp)}`);
    if (!(context.capabilities?.drop ?? []).includes("ALL")) problems.push(`${where}: capabilities not dropping ALL`);
    for (const added of context.capabilities?.add ?? []) if (added !== "NET_BIND_SERVICE") problems.push(`${where}: adds ${added}`);
    if (context.procMount !== undefined && context.procMount !== "Default") problems.push(`${where}: procMount`);
    for (const port of container.ports ?? []) if (port.hostPort !== undefined) problems.push(`${where}: hostPort`);
    // Beyond the profile: this project's own rule, as in docker-compose.yml.
    if (context.readOnlyRootFilesystem !== true) problems.push(`${where}: root filesystem is writable`);
  }
  return problems;
}

/** A copy of a pod spec with one container field changed, for the checks' own negative tests. */
function withContainerContext(pod: PodSpec, change: Partial<SecurityContext>): PodSpec {
  const [first, ...rest] = pod.containers;
  if (first === undefined) throw new Error("a pod without containers");
  return { ...pod, containers: [{ ...first, securityContext: { ...first.securityContext, ...change } }, ...rest] };
}

const gatehouseComponents = new Set(["auth-server", "gateway"]);

describe.each(overlays)("deploy/kubernetes/%s", (overlay) => {
  const objects = render(overlay);
  const byKind = (kind: string) => objects.filter((object) => object.kind === kind);
  const named = (kind: string, name: string) => {
    const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
    if (found === undefined) throw new Error(`no ${kind} ${name} in ${overlay}`);
    return found;
  };

  it("renders only kinds it validates, each valid against the Kubernetes API schema", () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) {
      const Model = models[`${object.apiVersion}/${object.kind}`];
      expect(Model, `${object.apiVersion} ${object.kind} ${object.metadata.name}`).toBeDefined();
      if (Model === undefined) continue;
      expect(() => new Model(object as never).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it("puts everything in the gatehouse namespace, which enforces the restricted profile", () => {
    const namespace = named("Namespace", "gatehouse");
    expect(namespace.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const object of objects.filter((candidate) => candidate.kind !== "Namespace")) {
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe("gatehouse");
    }
  });

  it("runs every pod at the restricted Pod Security Standard, field by field", () => {
    const templates = podTemplates(objects);
    expect(templates.map(({ owner }) => owner.metadata.name).sort()).toEqual(["auth-server", "gateway", "inventory", "orders", "redis"]);
    for (const { owner, pod } of templates) {
      expect(restrictedViolations(pod), `${owner.kind} ${owner.metadata.name}`).toEqual([]);
      expect(pod.automountServiceAccountToken, `${owner.metadata.name} mounts no API token it does not use`).toBe(false);
    }
  });

  it("the restricted check itself refuses what the profile forbids", () => {
    const [first] = podTemplates(objects);
    if (first === undefined) throw new Error("no workloads");
    const { pod } = first;
    expect(restrictedViolations(withContainerContext(pod, { allowPrivilegeEscalation: true }))).toHaveLength(1);
    expect(restrictedViolations(withContainerContext(pod, { capabilities: { drop: [] } }))).toHaveLength(1);
    expect(restrictedViolations(withContainerContext(pod, { capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } }))).toHaveLength(1);
    expect(restrictedViolations(withContainerContext(pod, { privileged: true }))).toHaveLength(1);
    expect(restrictedViolations(withContainerContext(pod, { readOnlyRootFilesystem: false }))).toHaveLength(1);
    expect(restrictedViolations({ ...pod, hostNetwork: true })).toHaveLength(1);
    expect(restrictedViolations({ ...pod, volumes: [{ name: "host", hostPath: { path: "/" } }] })).toHaveLength(1);
    expect(restrictedViolations({ ...withContainerContext(pod, { seccompProfile: { type: "Unconfined" } }), securityContext: {} })).not.toEqual([]);
  });

  it("gives every container resource requests and limits for cpu and memory", () => {
    for (const { owner, pod } of podTemplates(objects)) {
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        const where = `${owner.metadata.name}/${container.name}`;
        for (const kind of ["requests", "limits"] as const) {
          expect(Object.keys(container.resources?.[kind] ?? {}).sort(), `${where} ${kind}`).toEqual(["cpu", "memory"]);
        }
      }
    }
  });

  it("keeps V8's heap of every Node.js container at most 65 % of its memory limit (NODE_OPTIONS --max-old-space-size)", () => {
    const mebibytes = (quantity: string | number | undefined) => {
      const match = /^(\d+)(Mi|Gi)$/.exec(String(quantity ?? ""));
      if (match === null) throw new Error(`unexpected memory quantity ${String(quantity)}`);
      return Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
    };
    const nodeContainers = podTemplates(objects).flatMap(({ pod }) => pod.containers.filter((c) => c.image.startsWith("gatehouse/")));
    expect(nodeContainers.map((c) => c.name).sort()).toEqual(["auth-server", "gateway", "inventory", "orders"]);
    for (const container of nodeContainers) {
      const options = container.env?.find((e) => e.name === "NODE_OPTIONS")?.value ?? "";
      const heap = Number(/--max-old-space-size=(\d+)/.exec(options)?.[1]);
      expect(heap, `${container.name} NODE_OPTIONS`).toBeGreaterThan(0);
      // The services warn at start above 75 %; the young generation and code come on top of the old space.
      expect(heap, container.name).toBeLessThanOrEqual(mebibytes(container.resources?.limits?.["memory"]) * 0.65);
    }
  });

  it("probes the Gatehouse services on /healthz (liveness) and /readyz (readiness), and every container somehow", () => {
    for (const { owner, pod } of podTemplates(objects)) {
      for (const container of pod.containers) {
        const where = `${owner.metadata.name}/${container.name}`;
        expect(container.readinessProbe, `${where} readiness`).toBeDefined();
        expect(container.livenessProbe, `${where} liveness`).toBeDefined();
        if (gatehouseComponents.has(owner.metadata.name)) {
          expect(container.livenessProbe?.httpGet?.path, where).toBe("/healthz");
          expect(container.readinessProbe?.httpGet?.path, where).toBe("/readyz");
        }
      }
    }
  });

  it("takes secrets only from Secret volumes, never from environment values", () => {
    for (const { owner, pod } of podTemplates(objects)) {
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        const where = `${owner.metadata.name}/${container.name}`;
        expect(container.envFrom, where).toBeUndefined();
        for (const variable of container.env ?? []) {
          expect(variable.valueFrom?.["secretKeyRef"], `${where} ${variable.name}`).toBeUndefined();
          if (/PASSWORD|SECRET|TOKEN|KEY/.test(variable.name)) expect(variable.name, `${where}: a secret in an env value`).toMatch(/_FILE$/);
        }
      }
      const secretVolumes = (pod.volumes ?? []).filter((volume) => "secret" in volume);
      expect(secretVolumes.length, `${owner.metadata.name} mounts its secrets`).toBeGreaterThan(0);
    }
    expect(byKind("Secret"), "no Secret object is committed").toEqual([]);
  });

  it("runs two auth servers and an autoscaled gateway, each protected by a disruption budget", () => {
    const authServer = named("Deployment", "auth-server");
    expect(authServer.spec?.["replicas"]).toBe(2);
    const hpa = named("HorizontalPodAutoscaler", "gateway");
    expect(hpa.spec?.["scaleTargetRef"]).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "gateway" });
    expect(hpa.spec?.["minReplicas"]).toBeGreaterThanOrEqual(1);
    for (const name of ["auth-server", "gateway", "redis"]) {
      const budget = named("PodDisruptionBudget", name);
      expect(budget.spec?.["selector"]).toEqual({ matchLabels: { "app.kubernetes.io/name": name } });
    }
    const redis = named("StatefulSet", "redis");
    expect(redis.spec?.["replicas"]).toBe(3);
  });

  it("connects both services to Redis through Sentinel, each as its own ACL user with a password file", () => {
    for (const name of ["auth-server", "gateway"]) {
      const pod = (named("Deployment", name).spec?.["template"] as { spec: PodSpec }).spec;
      const env = new Map((pod.containers[0]?.env ?? []).map((variable) => [variable.name, variable.value]));
      expect(env.get("REDIS_URL"), name).toMatch(/^redis\+sentinel:\/\/[^/]+:26379\/gatehouse$/);
      expect(env.get("REDIS_USERNAME"), name).toBe(name);
      expect(env.get("REDIS_PASSWORD_FILE"), name).toMatch(/^\/run\/secrets\//);
    }
  });
});

describe("deploy/kubernetes configs", () => {
  // The same registry and routes as the compose stack, so the stack behaves the same way on both.
  const body = (file: string) => readFileSync(join(repoRoot, file), "utf8").split("\n").filter((line) => !line.startsWith("#")).join("\n");
  it.each(["auth-server", "gateway"])("%s.yaml has the body of docker/config/%s.yaml", (name) => {
    expect(body(`deploy/kubernetes/base/config/${name}.yaml`)).toBe(body(`docker/config/${name}.yaml`));
  });
});
