// Loads an eventscript's options as CTDB's load_script_options does: first
// `$CTDB_BASE/script.options`, then `<script dir>/<NN.name>.options` (later wins; the
// environment is the starting point, as for a sourced shell file). Only the script's declared
// options are read, each through its spec's parse; an unset option takes its default.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OptionSpecs, OptionValues } from '../eventscript/define.js';
import { OptionsFileError, parseShellAssignments, type Assignment } from './shell-vars.js';

export interface OptionSources {
  /** `$CTDB_BASE`; `script.options` is read from here. */
  readonly ctdbBase: string | undefined;
  /** The folder the script lives in. */
  readonly scriptDir: string;
  /** `NN.name`, without `.script`. */
  readonly scriptName: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The option files for a script, in the order they are applied. */
export function optionFiles(src: OptionSources): string[] {
  const files: string[] = [];
  if (src.ctdbBase !== undefined) files.push(join(src.ctdbBase, 'script.options'));
  files.push(join(src.scriptDir, `${src.scriptName}.options`));
  return files;
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OptionsFileError(file, 0, (err as Error).message);
  }
}

/** Reads every assignment from the option files, in order. */
export function readAssignments(src: OptionSources): Assignment[] {
  const all: Assignment[] = [];
  const current = new Map<string, string>();
  for (const file of optionFiles(src)) {
    const text = readIfPresent(file);
    if (text === undefined) continue;
    const found = parseShellAssignments(text, file, (n) => current.get(n) ?? src.env[n]);
    for (const a of found) current.set(a.name, a.value);
    all.push(...found);
  }
  return all;
}

export function loadOptions<S extends OptionSpecs>(specs: S, src: OptionSources): OptionValues<S> {
  const names = Object.keys(specs);
  const out: Record<string, unknown> = {};
  if (names.length === 0) return out as OptionValues<S>;
  const last = new Map<string, Assignment>();
  for (const a of readAssignments(src)) last.set(a.name, a);
  for (const name of names) {
    const spec = specs[name]!;
    const assigned = last.get(name);
    const text = assigned?.value ?? src.env[name];
    if (text === undefined) {
      out[name] = spec.default;
      continue;
    }
    try {
      out[name] = spec.parse(text);
    } catch (err) {
      const reason = `${name}: ${(err as Error).message}`;
      if (assigned !== undefined) throw new OptionsFileError(assigned.file, assigned.line, reason);
      throw new OptionsFileError('environment', 0, reason);
    }
  }
  return out as OptionValues<S>;
}
