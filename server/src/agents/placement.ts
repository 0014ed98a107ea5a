import type { Labels, LoadTestRun, PlacementEntry } from "@loadmgr/shared";

/** An agent that may take part in a run: connected, with all the run's labels. */
export interface Candidate {
  id: string;
  name: string;
  labels: Labels;
  /** Its capacity less the processes of the active runs it holds. */
  free: number;
}

export type PlaceResult =
  { placed: true; placement: PlacementEntry[]; workers: number } | { placed: false; waitingReason: string };

export function hasLabels(agent: { labels: Labels }, wanted: Labels): boolean {
  return Object.entries(wanted).every(([key, value]) => agent.labels[key] === value);
}

/** The processes each agent holds for the given runs (lost entries no longer hold anything). */
export function usedSlots(runs: Pick<LoadTestRun, "placement">[]): Map<string, number> {
  const used = new Map<string, number>();
  for (const run of runs) {
    for (const entry of run.placement) {
      if (entry.lostAt === null) used.set(entry.agentId, (used.get(entry.agentId) ?? 0) + entry.processes);
    }
  }
  return used;
}

const describeLabels = (labels: Labels): string => {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return pairs.length > 0 ? ` with labels ${pairs.join(",")}` : "";
};

/**
 * Places a run on a pool: its master on the agent with the most free slots, then its workers one at
 * a time on whichever agent has the most slots left, so they spread over the hosts (or, with
 * `oneAgent`, all on the agent with the most room). The master takes a slot. Never more on an agent
 * than it has free; when the pool has too few, says what the run waits for.
 */
export function place(
  poolName: string,
  request: { workers: number | null; labels: Labels; maxWorkers: number; oneAgent?: boolean },
  agents: Candidate[],
): PlaceResult {
  let candidates = agents.filter((a) => hasLabels(a, request.labels) && a.free > 0);
  if (request.oneAgent === true) {
    // The whole run on the one agent with the most room (a host whose agents reach each other on loopback only).
    const roomiest = [...candidates].sort((a, b) => b.free - a.free || a.name.localeCompare(b.name))[0];
    candidates = roomiest === undefined ? [] : [roomiest];
  }
  const free = candidates.reduce((sum, a) => sum + a.free, 0);
  const workers = request.workers ?? Math.min(request.maxWorkers, free - 1);
  // A run on one host may be a single Locust process (no workers); a pool run has one at least.
  const least = request.oneAgent === true ? workers : Math.max(workers, 1);
  const needed = least + 1;
  if (free < needed) {
    const agentsMatching = agents.filter((a) => hasLabels(a, request.labels)).length;
    const where = agentsMatching === 0 ? `no agent connected${describeLabels(request.labels)}` : `${free} free`;
    return {
      placed: false,
      waitingReason: `waiting for ${needed} slots in pool ${poolName} (${least} worker${
        least === 1 ? "" : "s"
      } + the master; ${where})`,
    };
  }
  const left = new Map(candidates.map((a) => [a.id, a.free]));
  const byMostFree = (): Candidate => {
    let best: Candidate | undefined;
    for (const a of candidates) {
      const room = left.get(a.id) ?? 0;
      if (room <= 0) continue;
      const bestRoom = best === undefined ? -1 : (left.get(best.id) ?? 0);
      if (room > bestRoom || (room === bestRoom && best !== undefined && a.name < best.name)) best = a;
    }
    if (best === undefined) throw new Error("placement ran out of slots it had counted");
    left.set(best.id, (left.get(best.id) ?? 0) - 1);
    return best;
  };
  const master = byMostFree();
  const perAgent = new Map<string, number>();
  for (let i = 0; i < workers; i++) {
    const agent = byMostFree();
    perAgent.set(agent.id, (perAgent.get(agent.id) ?? 0) + 1);
  }
  const placement: PlacementEntry[] = [
    { agentId: master.id, agentName: master.name, role: "master", processes: 1, lostAt: null },
  ];
  for (const agent of candidates) {
    const processes = perAgent.get(agent.id);
    if (processes !== undefined) {
      placement.push({ agentId: agent.id, agentName: agent.name, role: "worker", processes, lostAt: null });
    }
  }
  return { placed: true, placement, workers };
}
