import type { Writable } from 'node:stream';
import type { Logger } from '../ports/logger.ts';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

/** The daemon's logger: one JSON object per line. Callers pass secret-free fields only. */
export function createJsonLogger(stream: Writable, minLevel: Level = 'info', now: () => number = Date.now): Logger {
  const write = (level: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[level] < LEVELS[minLevel]) return;
    stream.write(`${JSON.stringify({ ts: new Date(now()).toISOString(), level, msg, ...fields })}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
