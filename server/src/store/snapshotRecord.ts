import type { MetricSnapshot } from "@loadmgr/shared";

/** How both stores keep a snapshot: the fields it is looked up by, beside the snapshot itself. */
export function snapshotRecord(snapshot: MetricSnapshot) {
  return {
    loadTestRunId: snapshot.runId,
    seq: snapshot.seq,
    timestamp: snapshot.timestamp,
    loadTestId: snapshot.loadTestId,
    accountId: snapshot.accountId,
    orgId: snapshot.orgId,
    projectId: snapshot.projectId,
    envId: snapshot.envId,
    snapshot,
  };
}
