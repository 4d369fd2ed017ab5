// The daemon's logger: pino JSON on stderr (or a file), with CTDB's level names. With
// CTDB_INTERACTIVE set CTDB logs to stderr at NOTICE; so do we.
import { pino, type Logger } from 'pino';

export interface EventdLog {
  error(msg: string): void;
  warning(msg: string): void;
  notice(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

const PINO_LEVEL: Readonly<Record<string, string>> = {
  ERROR: 'error',
  ERR: 'error',
  WARNING: 'warn',
  NOTICE: 'info',
  INFO: 'info',
  DEBUG: 'debug',
};

export function createEventdLog(level = 'NOTICE', dest: number | string = 2): EventdLog {
  const logger: Logger = pino(
    {
      name: 'ctdb-eventd',
      level: PINO_LEVEL[level.toUpperCase()] ?? 'info',
      base: { pid: process.pid },
    },
    pino.destination({ dest, sync: true }),
  );
  return {
    error: (m) => logger.error(m),
    warning: (m) => logger.warn(m),
    notice: (m) => logger.info({ ctdbLevel: 'NOTICE' }, m),
    info: (m) => logger.info(m),
    debug: (m) => logger.debug(m),
  };
}

/** A logger that drops everything (tests, embedding). */
export const silentLog: EventdLog = {
  error: () => undefined,
  warning: () => undefined,
  notice: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};
