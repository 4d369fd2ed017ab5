// Option kinds the notification hooks need beyond lib/options' (string, yesNo, integer):
// a choice among fixed words, and a list. A throw names what was expected.
import type { OptionSpec } from '../../../lib/eventscript/define.js';

/** One of fixed words (case-insensitive); empty means the default. */
export function oneOf<const T extends string>(
  values: readonly T[],
  defaultValue: T,
  doc: string,
): OptionSpec<T> {
  return {
    default: defaultValue,
    doc,
    parse(t) {
      if (t === '') return defaultValue;
      const v = values.find((x) => x.toLowerCase() === t.toLowerCase());
      if (v === undefined) throw new Error(`expected one of ${values.join(', ')}, got '${t}'`);
      return v;
    },
  };
}

/** A list separated by spaces or commas; `check` validates each item. */
export function list(
  defaultValue: readonly string[],
  doc: string,
  check?: (item: string) => void,
): OptionSpec<readonly string[]> {
  return {
    default: defaultValue,
    doc,
    parse(t) {
      const items = t.split(/[\s,]+/).filter((x) => x !== '');
      for (const item of items) check?.(item);
      return items;
    },
  };
}
