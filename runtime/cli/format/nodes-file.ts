// Reads a CTDB nodes file the way the `ctdb` tool does (listnodes, reloadnodes, and the
// "is this node part of the cluster" check): one address per line, leading/trailing blanks
// stripped, blank lines skipped, trailing empty lines ignored, `#…` = a DELETED node that keeps
// its PNN and shows as 0.0.0.0.
import { readFileSync } from 'node:fs';
import { NodeFlag } from '../../protocol/constants.js';
import { sockAddr, type SockAddr } from '../../protocol/sockaddr.js';

export interface NodesFileEntry {
  readonly pnn: number;
  readonly flags: number;
  readonly addr: SockAddr;
}

export function nodesFilePath(env: NodeJS.ProcessEnv): string {
  return `${env.CTDB_BASE ?? '/etc/ctdb'}/nodes`;
}

/** Parses the text; returns undefined for a line that is not an IP address. */
export function parseNodesFile(text: string): NodesFileEntry[] | undefined {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  const out: NodesFileEntry[] = [];
  for (const raw of lines) {
    const line = raw.replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
    if (line === '') continue;
    const deleted = line.startsWith('#');
    try {
      out.push({
        pnn: out.length,
        flags: deleted ? NodeFlag.DELETED : 0,
        addr: sockAddr(deleted ? '0.0.0.0' : line),
      });
    } catch {
      return undefined;
    }
  }
  return out;
}

/** Reads and parses the file; undefined when it cannot be read or parsed. */
export function readNodesFile(path: string): NodesFileEntry[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return parseNodesFile(text);
}
