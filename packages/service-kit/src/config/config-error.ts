/**
 * Thrown when a configuration file cannot be used. The message always names the file and,
 * for a schema violation, the dotted path of the offending value, e.g.
 * `gateway.yaml: routes.0.upstreams.0: must be an http(s) URL`.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "invalid_config";
  readonly file: string;
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${file}: ${p.path === "" ? "" : `${p.path}: `}${p.message}`).join("\n"));
    this.file = file;
    this.problems = problems;
  }
}

export interface ConfigProblem {
  /** Dotted path inside the document (`routes.0.policy.scopes`), empty for the document itself. */
  readonly path: string;
  readonly message: string;
}
