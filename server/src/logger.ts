import { pino, type Logger } from "pino";

export type { Logger };

/** The one logger of the server: JSON lines on stderr. Run-scoped code uses `logger.child({ runId })`. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "loadmgr" } }, pino.destination(2));
}
