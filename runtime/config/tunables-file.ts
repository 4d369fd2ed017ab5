// `ctdb.tunables`: NAME=VALUE lines, `#` comments, names case-insensitive, values unsigned
// integers in C's strtoul base-0 syntax. Unknown and obsolete names, empty values and junk
// after the number are errors; all of them are reported, not only the first.
import { readFileSync } from 'node:fs';
import { findTunable } from '../tunables/table.js';
import { ConfigError, ConfigErrors } from './errors.js';

export interface TunableSetting {
  readonly name: string;
  readonly value: number;
  readonly line: number;
}

/** Parses a C-style unsigned integer (decimal, 0x hex, 0 octal); undefined if malformed. */
export function parseCUnsigned(text: string): number | undefined {
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) v = parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) v = parseInt(text, 8);
  else if (/^[1-9][0-9]*$/.test(text)) v = parseInt(text, 10);
  else return undefined;
  return v <= 0xffffffff ? v : undefined;
}

export function parseTunablesText(text: string, file: string): TunableSetting[] {
  const out: TunableSetting[] = [];
  const errors: ConfigError[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    const lineNo = i + 1;
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      errors.push(new ConfigError(file, lineNo, undefined, 'sections are not allowed'));
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) {
      errors.push(new ConfigError(file, lineNo, line, 'expected NAME=VALUE'));
      continue;
    }
    const name = line.slice(0, eq).trim();
    const valueText = line.slice(eq + 1).trim();
    const def = findTunable(name);
    if (def === undefined) {
      errors.push(new ConfigError(file, lineNo, name, 'unknown tunable'));
      continue;
    }
    if (def.obsolete) {
      errors.push(new ConfigError(file, lineNo, name, 'obsolete tunable'));
      continue;
    }
    if (valueText === '') {
      errors.push(new ConfigError(file, lineNo, name, 'empty value'));
      continue;
    }
    const value = parseCUnsigned(valueText);
    if (value === undefined) {
      errors.push(new ConfigError(file, lineNo, name, `invalid value "${valueText}"`));
      continue;
    }
    out.push({ name: def.name, value, line: lineNo });
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  return out;
}

/** Reads the file; a missing file means no overrides. */
export function loadTunablesFile(file: string): TunableSetting[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(file, undefined, undefined, (err as Error).message);
  }
  return parseTunablesText(text, file);
}
