// The allocator's log: CTDB's levels and CTDB's message texts, collected as data so the
// allocation stays a pure function. Callers route the lines wherever they like (the daemon's
// logger, or stderr in ctdb_takeover_tests). Messages below the threshold are never built,
// which matters for LCP2's per-candidate DEBUG lines on large address sets.

import { DebugLevel } from '../../protocol/constants.js';

export { DebugLevel };

export interface IpallocLogLine {
  /** CTDB debug level: 0 ERROR, 1 WARNING, 3 NOTICE, 5 INFO, 10 DEBUG. */
  readonly level: number;
  readonly text: string;
}

export class IpallocLog {
  readonly lines: IpallocLogLine[] = [];

  constructor(
    /** Lines at this level or more important (numerically lower or equal) are kept. */
    readonly threshold: number,
  ) {}

  enabled(level: number): boolean {
    return level <= this.threshold;
  }

  /** Records a line; `text` may be a function so that suppressed lines cost nothing. */
  write(level: number, text: string | (() => string)): void {
    if (!this.enabled(level)) return;
    this.lines.push({ level, text: typeof text === 'string' ? text : text() });
  }
}

/** How CTDB's `%d` shows an unsigned 32-bit value: as a signed one. */
export function asInt32(value: number): number {
  return value | 0;
}
