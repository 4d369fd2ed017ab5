// Option kinds for eventscript authors: each returns an OptionSpec (default, doc, parse) for
// the `options` of defineEventScript. Parse errors say what was expected; the loader adds the
// file, line and option name.
import type { OptionSpec } from '../eventscript/define.js';

export function string(defaultValue: string, doc: string): OptionSpec<string> {
  return { default: defaultValue, doc, parse: (text) => text };
}

/** An optional string: unset (or empty) is undefined. */
export function optionalString(doc: string): OptionSpec<string | undefined> {
  return { default: undefined, doc, parse: (text) => (text === '' ? undefined : text) };
}

const TRUE_WORDS = new Set(['yes', 'y', 'true', 'on', '1']);
const FALSE_WORDS = new Set(['no', 'n', 'false', 'off', '0', '']);

/** CTDB's yes/no switches (`is_true`: yes, y, true, on, 1 in any case). */
export function yesNo(defaultValue: boolean, doc: string): OptionSpec<boolean> {
  return {
    default: defaultValue,
    doc,
    parse: (text) => {
      const word = text.toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      throw new Error(`expected yes or no, got '${text}'`);
    },
  };
}

export function integer(
  defaultValue: number,
  doc: string,
  range: { readonly min?: number; readonly max?: number } = {},
): OptionSpec<number> {
  return {
    default: defaultValue,
    doc,
    parse: (text) => {
      if (!/^-?\d+$/.test(text.trim())) throw new Error(`expected an integer, got '${text}'`);
      const n = Number(text.trim());
      if (range.min !== undefined && n < range.min)
        throw new Error(`${n} is below the minimum ${range.min}`);
      if (range.max !== undefined && n > range.max)
        throw new Error(`${n} is above the maximum ${range.max}`);
      return n;
    },
  };
}

/** A `WARN:ERROR` pair of limits as CTDB's monitoring options write them (either may be empty). */
export interface Thresholds {
  readonly warn: number | undefined;
  readonly error: number | undefined;
}

/** Parses `W:E`, `:E`, `W:` or a single `E` (percentages or counts). */
export function parseThresholds(text: string): Thresholds {
  const parts = text.split(':');
  if (parts.length > 2) throw new Error(`expected WARN:ERROR, got '${text}'`);
  const num = (s: string | undefined, what: string): number | undefined => {
    if (s === undefined || s === '') return undefined;
    if (!/^\d+$/.test(s)) throw new Error(`${what} threshold '${s}' is not a number in '${text}'`);
    return Number(s);
  };
  if (parts.length === 1) return { warn: undefined, error: num(parts[0], 'error') };
  const warn = num(parts[0], 'warning');
  const error = num(parts[1], 'error');
  if (warn !== undefined && error !== undefined && warn > error)
    throw new Error(`warning threshold ${warn} is above error threshold ${error} in '${text}'`);
  return { warn, error };
}

export function thresholds(defaultValue: Thresholds, doc: string): OptionSpec<Thresholds> {
  return { default: defaultValue, doc, parse: parseThresholds };
}
