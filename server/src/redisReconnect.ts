import type { Redis } from "ioredis";

/**
 * Calls `listener` each time `connection` is ready again after a loss (not on its first connect):
 * what Redis held or relayed meanwhile may be gone, and its users put back or fill in what they need.
 */
export function onReconnect(connection: Redis, listener: () => void): void {
  let connectedBefore = false;
  connection.on("ready", () => {
    if (connectedBefore) listener();
    connectedBefore = true;
  });
}
