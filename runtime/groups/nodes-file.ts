// The group nodes file (CTDB_NATGW_NODES, CTDB_LVS_NODES): one private address per line,
// optionally followed by `follower-only`; lines starting with `#` and blank lines are skipped.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { GroupNodesFileMissingError, GroupNodesFileSyntaxError } from './errors.js';

export interface GroupMember {
  /** The node's private address, as `ctdb nodestatus` prints it. */
  readonly ip: string;
  /** A follower-only node is in the group but never chosen as its leader. */
  readonly followerOnly: boolean;
  /** 1-based line number in the file, for messages. */
  readonly line: number;
}

const FOLLOWER_ONLY = 'follower-only';

/** Parses the text of a nodes file; `file` names it in errors. */
export function parseGroupNodes(text: string, file: string): GroupMember[] {
  const members: GroupMember[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^(\S+)\s*(.*)$/.exec(trimmed);
    const ip = match?.[1] ?? '';
    const rest = match?.[2] ?? '';
    if (rest !== '' && rest !== FOLLOWER_ONLY) {
      throw new GroupNodesFileSyntaxError(
        `Invalid options "${rest}" in "${file}" line ${line}`,
        file,
        line,
      );
    }
    if (isIP(ip) === 0) {
      throw new GroupNodesFileSyntaxError(
        `Invalid IP address "${ip}" in "${file}" line ${line}`,
        file,
        line,
      );
    }
    members.push({ ip, followerOnly: rest === FOLLOWER_ONLY, line });
  }
  return members;
}

/**
 * Reads and parses a nodes file. `what` is the phrase CTDB's helper uses in its "not found"
 * message (`NAT gateway nodes file`, `LVS nodes file`).
 */
export async function readGroupNodes(file: string, what: string): Promise<GroupMember[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new GroupNodesFileMissingError(`${what} "${file}" not found`, 1);
  }
  return parseGroupNodes(text, file);
}
