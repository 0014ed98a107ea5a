import { randomBytes } from "node:crypto";
import { ERROR_CODES, isTerminal, type ErrorCode } from "@loadmgr/shared";
import { tokensEqual } from "../auth.js";
import type { Logger } from "../logger.js";
import type { RunTokens } from "../runs/runTokens.js";
import type { Store } from "../store/store.js";

/** Where agents open the relay's connections (an HTTP upgrade to `loadmgr-relay`). */
export const RELAY_PREFIX = "/v1/internal/relay/";
/** How long a worker's connection waits for its master's side to join it. */
const JOIN_WITHIN_MS = 10_000;
/** Worker connections of one run waiting for their master's side at once; more are refused. */
const MAX_WAITING_PER_RUN = 64;
/** Joined connections of one run at once (a worker process holds one; Locust reconnects are brief). */
const MAX_STREAMS_PER_RUN = 2048;

/**
 * What the relay uses of an upgraded connection (node's socket is one). Spelled out here rather than
 * taken from node:stream: this class is part of the server's context, whose types the typed client bundles.
 */
export interface RelaySocket {
  write(data: string | Buffer): boolean;
  end(data?: string): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  on(event: "data", listener: (chunk: Buffer) => void): void;
  on(event: "close" | "end" | "error", listener: () => void): void;
  once(event: "drain", listener: () => void): void;
}

/** What the relay reads of an upgrade request. */
export interface RelayRequest {
  url?: string;
  headers: { authorization?: string; upgrade?: string };
}

interface Waiting {
  runId: string;
  socket: RelaySocket;
  head: Buffer;
  timer: NodeJS.Timeout;
}

/**
 * Locust's worker traffic for pool runs whose master's host takes no inbound connection (an agent
 * started with --no-inbound: behind a NAT, or a firewall that refuses every connection in). Both
 * sides dial out to the server, as they do for everything else:
 *
 * - the master's supervisor holds `…/<runId>/master` open (it shows the run's ingest token); the
 *   server writes a stream id on it, a line, for each worker connection that arrives;
 * - a worker's connection to its master is `…/<runId>/worker` (the run's relay token, which opens
 *   nothing else); it waits here until
 * - the master's supervisor opens `…/<runId>/join/<streamId>` and connects it to its master.
 *
 * Then the two are joined byte for byte (Locust's ZeroMQ protocol, end to end between the run's own
 * processes, which check the run's secret themselves). A run's streams live in the process their
 * connections reach: with several server processes, the relay's path goes to one of them (or
 * `agents.relayUrl` names it), as the README says (Hosts that take no inbound connection).
 */
export class WorkerRelay {
  private readonly masters = new Map<string, RelaySocket>();
  private readonly waiting = new Map<string, Waiting>();
  private readonly streams = new Map<string, number>();
  constructor(
    private readonly deps: {
      store: Store;
      tokens: RunTokens;
      logger: Logger;
      /** Bytes carried, both ways (/metrics: loadmgr_relay_bytes_total). */
      onBytes?: (bytes: number) => void;
    },
  ) {}

  /** Worker connections joined to their masters right now. */
  openStreams(): number {
    let open = 0;
    for (const count of this.streams.values()) open += count;
    return open;
  }

  handles(path: string): boolean {
    return path.startsWith(RELAY_PREFIX);
  }

  /** An upgrade request on RELAY_PREFIX: answered here, whatever it is. */
  upgrade(req: RelayRequest, socket: RelaySocket, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    this.accept(req, socket, head).catch((error: unknown) => {
      this.deps.logger.error({ err: error, url: req.url }, "relay connection failed");
      refuse(socket, "INTERNAL", "internal error");
    });
  }

  close(): void {
    for (const socket of this.masters.values()) socket.destroy();
    for (const entry of this.waiting.values()) {
      clearTimeout(entry.timer);
      entry.socket.destroy();
    }
    this.masters.clear();
    this.waiting.clear();
  }

  private async accept(req: RelayRequest, socket: RelaySocket, head: Buffer): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname.slice(RELAY_PREFIX.length);
    const [runId = "", side = "", streamId, ...rest] = path.split("/");
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (req.headers.upgrade?.toLowerCase() !== "loadmgr-relay" || rest.length > 0) {
      return refuse(
        socket,
        "INVALID_INPUT",
        "the relay takes an upgrade to loadmgr-relay on …/<runId>/master, /worker or /join/<streamId>",
      );
    }
    const { tokens, store } = this.deps;
    const allowed =
      side === "worker"
        ? token !== undefined && tokensEqual(token, tokens.relayToken(runId))
        : tokens.allows(runId, token);
    if (!allowed || runId === "") return refuse(socket, "UNAUTHORIZED", "missing or wrong run token");
    const run = await store.runs.get(runId);
    if (run === undefined || isTerminal(run.status)) {
      return refuse(socket, "RUN_NOT_RUNNING", `run ${runId} is not active`);
    }
    if (side === "master" && streamId === undefined) return this.master(runId, socket);
    if (side === "worker" && streamId === undefined) return this.worker(runId, socket, head);
    if (side === "join" && streamId !== undefined) return this.join(runId, streamId, socket, head);
    refuse(socket, "NOT_FOUND", "no such relay path");
  }

  private master(runId: string, socket: RelaySocket): void {
    const previous = this.masters.get(runId);
    this.masters.set(runId, socket);
    previous?.destroy();
    switchProtocols(socket);
    socket.on("close", () => {
      if (this.masters.get(runId) === socket) this.masters.delete(runId);
    });
    // It only listens: anything it sends is read and dropped.
    socket.resume();
    this.deps.logger.info({ runId }, "run's master joined the relay");
  }

  private worker(runId: string, socket: RelaySocket, head: Buffer): void {
    const master = this.masters.get(runId);
    if (master === undefined) {
      return refuse(socket, "RELAY_MASTER_ABSENT", `run ${runId}'s master is not connected to this server's relay`);
    }
    const waiting = [...this.waiting.values()].filter((w) => w.runId === runId).length;
    if (waiting >= MAX_WAITING_PER_RUN || (this.streams.get(runId) ?? 0) >= MAX_STREAMS_PER_RUN) {
      return refuse(socket, "TOO_MANY_RELAY_STREAMS", `run ${runId} has as many relay connections as it may`);
    }
    const streamId = randomBytes(12).toString("hex");
    const timer = setTimeout(() => {
      if (this.waiting.delete(streamId))
        refuse(socket, "RELAY_TIMEOUT", "the run's master did not take this connection");
    }, JOIN_WITHIN_MS);
    this.waiting.set(streamId, { runId, socket, head, timer });
    socket.on("close", () => {
      if (this.waiting.get(streamId)?.socket === socket) {
        clearTimeout(timer);
        this.waiting.delete(streamId);
      }
    });
    master.write(`${streamId}\n`);
  }

  private join(runId: string, streamId: string, socket: RelaySocket, head: Buffer): void {
    const worker = this.waiting.get(streamId);
    if (worker === undefined || worker.runId !== runId) {
      return refuse(socket, "NOT_FOUND", "no worker connection waits under that id");
    }
    this.waiting.delete(streamId);
    clearTimeout(worker.timer);
    this.streams.set(runId, (this.streams.get(runId) ?? 0) + 1);
    switchProtocols(worker.socket);
    switchProtocols(socket);
    if (worker.head.length > 0) socket.write(worker.head);
    if (head.length > 0) worker.socket.write(head);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      const left = (this.streams.get(runId) ?? 1) - 1;
      if (left > 0) this.streams.set(runId, left);
      else this.streams.delete(runId);
      worker.socket.destroy();
      socket.destroy();
    };
    for (const [from, to] of [
      [worker.socket, socket],
      [socket, worker.socket],
    ] as const) {
      from.on("data", (chunk: Buffer) => {
        this.deps.onBytes?.(chunk.length);
        // Back-pressure: a side that cannot take more pauses the other.
        if (!to.write(chunk)) {
          from.pause();
          to.once("drain", () => from.resume());
        }
      });
      from.on("close", end);
      from.on("end", end);
    }
  }
}

function switchProtocols(socket: RelaySocket): void {
  if (socket instanceof Object && "setNoDelay" in socket) {
    const tcp = socket as RelaySocket & {
      setNoDelay(noDelay: boolean): void;
      setKeepAlive(on: boolean, ms: number): void;
    };
    tcp.setNoDelay(true);
    tcp.setKeepAlive(true, 30_000);
  }
  socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: loadmgr-relay\r\nConnection: Upgrade\r\n\r\n");
}

function refuse(socket: RelaySocket, code: ErrorCode, message: string): void {
  const status = ERROR_CODES[code];
  const body = JSON.stringify({ code, message });
  socket.end(
    `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
