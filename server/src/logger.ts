import { pino } from "pino";

type LogFn = (fields: object, message: string) => void;

/**
 * The server's logger, as the code uses it: structured fields first, then a message. (pino's own
 * type would tie every type that holds a logger, the router's context included, to pino.)
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: object): Logger;
}

/** The one logger of the server: JSON lines on stderr. Run-scoped code uses `logger.child({ runId })`. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "loadmgr" } }, pino.destination(2));
}
