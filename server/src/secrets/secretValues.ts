import type { LoadTestRun } from "@loadmgr/shared";
import { AppError } from "../errors.js";
import type { SecretScope, Store } from "../store/store.js";
import { Redactor } from "./redact.js";
import { secretBinding, type SecretBox } from "./secretBox.js";

/** How long a run's redactor is kept: a secret changed meanwhile is redacted in both forms until then. */
const REDACTOR_TTL_MS = 30_000;
const MAX_CACHED = 1000;

type Scoped = SecretScope & { envId: string | null };

/**
 * The values of secrets, for the runs that use them: which secret a name means for a scope (an env's
 * own over the project's), and the redactor that keeps a run's values out of what it reports.
 */
export class SecretValues {
  private readonly redactors = new Map<string, { redactor: Redactor; until: number }>();

  constructor(
    private readonly store: Store,
    readonly box: SecretBox,
    private readonly now: () => number,
  ) {}

  /** The names among `names` that no secret of the scope (its env's or its project's) answers to. */
  async missing(scope: Scoped, names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const known = new Set((await this.store.secrets.list(scope, scope.envId)).map((s) => s.name));
    return names.filter((n) => !known.has(n));
  }

  /** Name → value for the scope; an env's own secret wins over the project's. Throws on a name it lacks. */
  async values(scope: Scoped, names: string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    const records = await this.store.secrets.list(scope, scope.envId);
    const out: Record<string, string> = {};
    for (const name of names) {
      const record = records.find((r) => r.name === name && r.envId !== null) ?? records.find((r) => r.name === name);
      if (record === undefined) throw new Error(`secret ${name} is not set for this project/env`);
      out[name] = this.box.open(record.ciphertext, secretBinding(record));
    }
    return out;
  }

  /** What hides the run's secret values (an empty one for a run without secrets). */
  async redactorFor(
    run: Pick<LoadTestRun, "id" | "secrets" | "accountId" | "orgId" | "projectId" | "envId">,
  ): Promise<Redactor> {
    if (run.secrets.length === 0) return EMPTY;
    const cached = this.redactors.get(run.id);
    if (cached !== undefined && cached.until > this.now()) return cached.redactor;
    let values: string[];
    try {
      const records = await this.store.secrets.list(run, run.envId);
      // Every value a name of the run could have meant (the env's and the project's): hide them all.
      values = records
        .filter((r) => run.secrets.includes(r.name))
        .map((r) => this.box.open(r.ciphertext, secretBinding(r)));
    } catch {
      values = [];
    }
    const redactor = new Redactor(values);
    if (this.redactors.size >= MAX_CACHED) this.redactors.delete(this.redactors.keys().next().value as string);
    this.redactors.set(run.id, { redactor, until: this.now() + REDACTOR_TTL_MS });
    return redactor;
  }

  /** A run started with these values: its redactor hides them from the start, whatever happens to the secrets. */
  remember(runId: string, values: string[]): void {
    this.redactors.set(runId, { redactor: new Redactor(values), until: this.now() + REDACTOR_TTL_MS });
  }
}

const EMPTY = new Redactor([]);

/** A test (or run) may name only secrets its scope has: refused with 400 SECRET_NOT_FOUND otherwise. */
export async function checkSecretsExist(
  ctx: { secrets: SecretValues },
  target: Scoped & { secrets: string[] },
  field = "secrets",
): Promise<void> {
  const missing = await ctx.secrets.missing(target, target.secrets);
  if (missing.length > 0) {
    throw new AppError(
      "SECRET_NOT_FOUND",
      `no secret ${missing.join(", ")} in this project${target.envId !== null ? ` or its env ${target.envId}` : ""}: set it with PUT /v1/secrets/{name}`,
      field,
    );
  }
}
