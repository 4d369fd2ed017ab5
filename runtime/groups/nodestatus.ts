// Reading `ctdb -X nodestatus all`, the interface between CTDB's group helpers and the daemon.
// Fields: Node|IP|Disconnected|Unknown|Banned|Disabled|Unhealthy|Stopped|Inactive|
// PartiallyOnline|ThisNode, framed by the separator at both ends, one header row first.
import { NodeStatusUnavailableError } from './errors.js';

export interface NodeState {
  readonly pnn: number;
  readonly ip: string;
  readonly disconnected: boolean;
  readonly unknown: boolean;
  readonly banned: boolean;
  readonly disabled: boolean;
  readonly unhealthy: boolean;
  readonly stopped: boolean;
  /** Disconnected, banned or stopped (ctdbd's INACTIVE mask). */
  readonly inactive: boolean;
  readonly partiallyOnline: boolean;
  readonly thisNode: boolean;
}

const FIELDS = 11;

/** Parses `-X nodestatus` output (the header row is skipped). A malformed row is an error. */
export function parseNodeStatusMachine(text: string, separator = '|'): NodeState[] {
  const rows = text.split('\n').filter((l) => l.trim() !== '');
  const states: NodeState[] = [];
  for (const [index, row] of rows.entries()) {
    if (index === 0) continue; // header
    let body = row;
    if (body.startsWith(separator)) body = body.slice(separator.length);
    if (body.endsWith(separator)) body = body.slice(0, -separator.length);
    const f = body.split(separator);
    const pnn = Number(f[0]);
    if (f.length !== FIELDS || !/^\d+$/.test(f[0] ?? '')) {
      throw new NodeStatusUnavailableError(
        `Unable to get status of nodes: unexpected nodestatus row ${index + 1}: "${row}"`,
        1,
      );
    }
    const flag = (i: number): boolean => f[i] !== '0';
    states.push({
      pnn,
      ip: f[1] ?? '',
      disconnected: flag(2),
      unknown: flag(3),
      banned: flag(4),
      disabled: flag(5),
      unhealthy: flag(6),
      stopped: flag(7),
      inactive: flag(8),
      partiallyOnline: flag(9),
      thisNode: f[10] === 'Y',
    });
  }
  return states;
}
