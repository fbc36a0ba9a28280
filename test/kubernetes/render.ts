// Renders the kustomizations in deploy/kubernetes with the kustomize built into kubectl and
// returns the objects, for the manifest tests. No cluster is needed (or reached).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** A rendered Kubernetes object, read loosely: the tests narrow what they look at. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec?: Readonly<Record<string, unknown>>;
  readonly data?: Readonly<Record<string, string>>;
}

export const overlays = ["base", "overlays/dev"] as const;

export function render(overlay: string): KubeObject[] {
  let text: string;
  try {
    text = execFileSync("kubectl", ["kustomize", `deploy/kubernetes/${overlay}`], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`kubectl kustomize deploy/kubernetes/${overlay} failed (these tests need kubectl with its built-in kustomize on PATH): ${reason}`, { cause: error });
  }
  return parseAllDocuments(text).map((document) => document.toJSON() as KubeObject);
}
