import type { ScopeCount } from "@loadmgr/shared";

type Scope = Omit<ScopeCount, "tests" | "runs">;
type Counted = Scope & { n: number };

const keyOf = (s: Scope) => JSON.stringify([s.accountId, s.orgId, s.projectId, s.envId]);

/** Tests and runs counted per scope, joined: the scopes that hold a test, sorted (no env first). */
export function joinScopeCounts(tests: Counted[], runs: Counted[]): ScopeCount[] {
  const runsByScope = new Map(runs.map((r) => [keyOf(r), r.n]));
  const compare = (a: string | null, b: string | null) =>
    a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1;
  return tests
    .map(({ n, ...scope }) => ({ ...scope, tests: n, runs: runsByScope.get(keyOf(scope)) ?? 0 }))
    .sort(
      (a, b) =>
        compare(a.accountId, b.accountId) ||
        compare(a.orgId, b.orgId) ||
        compare(a.projectId, b.projectId) ||
        compare(a.envId, b.envId),
    );
}
