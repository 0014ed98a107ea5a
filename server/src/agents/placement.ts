import { REGION_LABEL, type Labels, type LoadTestRun, type PlacementEntry, type RegionShare } from "@loadmgr/shared";

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

export interface PlaceRequest {
  workers: number | null;
  labels: Labels;
  maxWorkers: number;
  oneAgent?: boolean;
  /** Split the workers over agents labelled region=<name> by share. */
  regions?: RegionShare[];
}

/**
 * Takes a slot of whichever agent among those given has the most left (by name on a tie), counting
 * what was taken across calls; throws if none has one (placement counts slots before it takes them).
 */
function slotTaker(agents: Candidate[]): (among: Candidate[]) => Candidate {
  const left = new Map(agents.map((a) => [a.id, a.free]));
  return (among) => {
    let best: Candidate | undefined;
    for (const a of among) {
      const room = left.get(a.id) ?? 0;
      if (room <= 0) continue;
      const bestRoom = best === undefined ? -1 : (left.get(best.id) ?? 0);
      if (room > bestRoom || (room === bestRoom && best !== undefined && a.name < best.name)) best = a;
    }
    if (best === undefined) throw new Error("placement ran out of slots it had counted");
    left.set(best.id, (left.get(best.id) ?? 0) - 1);
    return best;
  };
}

/**
 * Places a run on a pool: its master on the agent with the most free slots, then its workers one at
 * a time on whichever agent has the most slots left, so they spread over the hosts (or, with
 * `oneAgent`, all on the agent with the most room). The master takes a slot. Never more on an agent
 * than it has free; when the pool has too few, says what the run waits for.
 */
export function place(poolName: string, request: PlaceRequest, agents: Candidate[]): PlaceResult {
  if (request.regions !== undefined && request.regions.length > 0) {
    return placeInRegions(poolName, { ...request, regions: request.regions }, agents);
  }
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
  const take = slotTaker(candidates);
  const byMostFree = (): Candidate => take(candidates);
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

/**
 * Workers per region for `workers` in all, by share (largest remainder, ties to the region listed
 * first), each region one at least. Undefined when there are fewer workers than regions.
 */
export function splitByShare(workers: number, regions: RegionShare[]): number[] | undefined {
  if (workers < regions.length) return undefined;
  const exact = regions.map((r) => (workers * r.share) / 100);
  const counts = exact.map((e) => Math.max(1, Math.floor(e)));
  let left = workers - counts.reduce((sum, c) => sum + c, 0);
  const byRemainder = exact
    .map((e, i) => ({ i, rest: e - Math.floor(e) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % byRemainder.length, left--) {
    const i = byRemainder[k]?.i ?? 0;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  // A region raised to one worker takes it from the largest.
  while (left < 0) {
    const largest = counts.indexOf(Math.max(...counts));
    counts[largest] = (counts[largest] ?? 1) - 1;
    left++;
  }
  return counts;
}

/**
 * Places a run split over regions: each region's workers on its own agents (labelled region=<name>,
 * with the run's labels), spread over them by free slots; the master on whichever of those agents
 * has the most room left. With no worker count asked for, the most that fits (at most maxWorkers).
 */
function placeInRegions(
  poolName: string,
  request: PlaceRequest & { regions: RegionShare[] },
  agents: Candidate[],
): PlaceResult {
  const inRegion = request.regions.map((region) =>
    agents.filter((a) => hasLabels(a, { ...request.labels, [REGION_LABEL]: region.name }) && a.free > 0),
  );
  const freeIn = inRegion.map((list) => list.reduce((sum, a) => sum + a.free, 0));
  const fits = (split: number[]): boolean => {
    const spare = split.map((n, i) => (freeIn[i] ?? 0) - n);
    return spare.every((s) => s >= 0) && spare.some((s) => s >= 1);
  };
  const least = request.regions.length;
  let workers = request.workers;
  if (workers === null) {
    const most = Math.min(request.maxWorkers, freeIn.reduce((sum, f) => sum + f, 0) - 1);
    for (let w = most; w >= least && workers === null; w--) {
      const split = splitByShare(w, request.regions);
      if (split !== undefined && fits(split)) workers = w;
    }
  }
  const split = splitByShare(Math.max(workers ?? least, least), request.regions) ?? [];
  if (workers === null || !fits(split)) {
    const short = request.regions
      .map((region, i) => ({ region, need: split[i] ?? 0, free: freeIn[i] ?? 0 }))
      .map(({ region, need, free }) => `${region.name}: ${need} worker${need === 1 ? "" : "s"}, ${free} free`);
    return {
      placed: false,
      waitingReason: `waiting for slots in pool ${poolName}${describeLabels(request.labels)} by region (${short.join(
        "; ",
      )}; and one more for the master)`,
    };
  }
  const mostFree = slotTaker(agents);
  const workerEntries: PlacementEntry[] = [];
  request.regions.forEach((region, i) => {
    const candidates = inRegion[i] ?? [];
    const perAgent = new Map<string, number>();
    for (let n = 0; n < (split[i] ?? 0); n++) {
      const agent = mostFree(candidates);
      perAgent.set(agent.id, (perAgent.get(agent.id) ?? 0) + 1);
    }
    for (const agent of candidates) {
      const processes = perAgent.get(agent.id);
      if (processes !== undefined) {
        workerEntries.push({
          agentId: agent.id,
          agentName: agent.name,
          role: "worker",
          processes,
          lostAt: null,
          region: region.name,
        });
      }
    }
  });
  const regionOf = new Map(request.regions.flatMap((region, i) => (inRegion[i] ?? []).map((a) => [a.id, region.name])));
  const master = mostFree(inRegion.flat());
  const masterEntry: PlacementEntry = {
    agentId: master.id,
    agentName: master.name,
    role: "master",
    processes: 1,
    lostAt: null,
    region: regionOf.get(master.id) ?? "",
  };
  return { placed: true, placement: [masterEntry, ...workerEntries], workers };
}
