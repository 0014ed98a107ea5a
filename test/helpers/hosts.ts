import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

/**
 * "Other hosts" for the agent tests: each a network namespace on a veth pair, bridged to this
 * (the server's) namespace, whose firewall drops every connection this namespace opens to it, as a
 * NAT or a private network would, while connections it opens (to the server, to its peers) work.
 * Where namespaces cannot be made (not root, no `ip`), the hosts are plain processes on loopback
 * and `namespaced` says so.
 */
export interface Hosts {
  namespaced: boolean;
  /** Where the hosts reach this namespace (the server and the target listen here). */
  hostIp: string;
  ips: string[];
  /** Starts a process on host i. */
  spawn(i: number, command: string, args: string[]): ChildProcess;
  /** Kills every process on host i (the host dies). */
  killAll(i: number): void;
  /** Cuts host i off the network, or puts it back. */
  setLink(i: number, up: boolean): void;
  remove(): void;
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * `inbound: "none"`: each host's firewall drops every connection anyone opens to it (the server's
 * namespace and the other hosts alike), as hosts behind NATs of their own would.
 */
export function createHosts(count: number, options: { inbound?: "peers" | "none" } = {}): Hosts {
  try {
    return namespacedHosts(count, options.inbound ?? "peers");
  } catch (error) {
    process.stderr.write(
      `# network namespaces could not be made (${error instanceof Error ? error.message.split("\n")[0] : String(error)}): the agents run on loopback\n`,
    );
    return loopbackHosts(count);
  }
}

function namespacedHosts(count: number, inbound: "peers" | "none"): Hosts {
  const id = randomBytes(2).toString("hex");
  const subnet = `10.${200 + (parseInt(id, 16) % 50)}.${parseInt(id, 16) % 250}`;
  const bridge = `lmb${id}`;
  const names = Array.from({ length: count }, (_, i) => `loadmgr-${id}-${i}`);
  const ips = names.map((_, i) => `${subnet}.${10 + i}`);
  const hostIp = `${subnet}.1`;
  const made: string[] = [];
  const remove = (): void => {
    for (let i = 0; i < made.length; i++) killInNamespace(made[i] as string);
    for (const ns of made) {
      try {
        run("ip", ["netns", "del", ns]);
      } catch {
        // already gone
      }
    }
    try {
      run("ip", ["link", "del", bridge]);
    } catch {
      // never made
    }
  };
  try {
    run("ip", ["link", "add", bridge, "type", "bridge"]);
    run("ip", ["addr", "add", `${hostIp}/24`, "dev", bridge]);
    run("ip", ["link", "set", bridge, "up"]);
    names.forEach((ns, i) => {
      run("ip", ["netns", "add", ns]);
      made.push(ns);
      const outside = `lv${id}${i}`;
      const inside = `lp${id}${i}`;
      run("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside]);
      run("ip", ["link", "set", inside, "netns", ns]);
      run("ip", ["link", "set", outside, "master", bridge]);
      run("ip", ["link", "set", outside, "up"]);
      run("ip", ["-n", ns, "addr", "add", `${ips[i]}/24`, "dev", inside]);
      run("ip", ["-n", ns, "link", "set", inside, "up"]);
      run("ip", ["-n", ns, "link", "set", "lo", "up"]);
      run("ip", ["-n", ns, "route", "add", "default", "via", hostIp]);
      // No connection from the server's side gets in (with inbound "none", from anywhere but the host
      // itself); the host's own connections (and their replies) do.
      const from = inbound === "none" ? ["!", "-i", "lo"] : ["-s", hostIp];
      run("ip", ["netns", "exec", ns, "iptables", "-A", "INPUT", "-p", "tcp", "--syn", ...from, "-j", "DROP"]);
    });
  } catch (error) {
    remove();
    throw error;
  }
  return {
    namespaced: true,
    hostIp,
    ips,
    spawn: (i, command, args) =>
      spawn("ip", ["netns", "exec", names[i] as string, command, ...args], { stdio: ["ignore", "pipe", "pipe"] }),
    killAll: (i) => killInNamespace(names[i] as string),
    setLink: (i, up) => run("ip", ["link", "set", `lv${id}${i}`, up ? "up" : "down"]),
    remove,
  };
}

function killInNamespace(ns: string): void {
  let pids: string[] = [];
  try {
    pids = execFileSync("ip", ["netns", "pids", ns], { encoding: "utf-8" }).split("\n").filter(Boolean);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

/** The processes started on each loopback "host", and all their descendants. */
function loopbackHosts(count: number): Hosts {
  const started: ChildProcess[][] = Array.from({ length: count }, () => []);
  const killAll = (i: number): void => {
    for (const child of started[i] ?? []) {
      if (child.pid !== undefined) for (const pid of descendantsOf(child.pid)) safeKill(pid);
    }
  };
  return {
    namespaced: false,
    hostIp: "127.0.0.1",
    ips: Array.from({ length: count }, () => "127.0.0.1"),
    spawn: (i, command, args) => {
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
      started[i]?.push(child);
      return child;
    },
    killAll,
    setLink: () => {
      throw new Error("a loopback host cannot be cut off the network");
    },
    remove: () => started.forEach((_, i) => killAll(i)),
  };
}

function safeKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
}

/** The process and every descendant (new sessions included: they keep their parent). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf-8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i] as number) ?? []));
  return found;
}
