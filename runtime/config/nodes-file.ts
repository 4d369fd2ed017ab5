// The nodes file: one private address per line, PNN = index of the line (blank lines do not
// count, commented lines do: they are deleted nodes that keep their slot).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError, ConfigErrors } from './errors.js';

export interface NodeEntry {
  readonly pnn: number;
  /** The address, or `0.0.0.0` for a deleted node. */
  readonly address: string;
  readonly deleted: boolean;
}

export function parseNodesText(text: string, file: string): NodeEntry[] {
  const nodes: NodeEntry[] = [];
  const errors: ConfigError[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/^[ \t]+|[ \t\r]+$/g, '');
    if (line === '') continue;
    if (line.startsWith('#')) {
      nodes.push({ pnn: nodes.length, address: '0.0.0.0', deleted: true });
      continue;
    }
    // Tolerate a trailing comment or extra fields after the address, as CTDB reads only
    // the first word.
    const address = line.split(/[ \t]/)[0] ?? '';
    if (isIP(address) === 0) {
      errors.push(new ConfigError(file, i + 1, undefined, `invalid node address "${address}"`));
      continue;
    }
    nodes.push({ pnn: nodes.length, address, deleted: false });
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  if (nodes.length === 0)
    throw new ConfigErrors([new ConfigError(file, undefined, undefined, 'no nodes listed')]);
  return nodes;
}

export function loadNodesFile(file: string): NodeEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigErrors([new ConfigError(file, undefined, undefined, (err as Error).message)]);
  }
  return parseNodesText(text, file);
}
