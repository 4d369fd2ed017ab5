// The live tunable values of one daemon, seeded from the table's defaults.
import { tunableListPayload, TUNABLE_LIST_ORDER, type TunableList } from '../protocol/payloads.js';
import { TUNABLES, findTunable } from './table.js';

export type SetTunableResult = 'ok' | 'obsolete' | 'unknown';

export class Tunables {
  private readonly values = new Map<string, number>();

  constructor() {
    for (const t of TUNABLES) this.values.set(t.name, t.defaultValue);
  }

  /** The value of a tunable (name matched case-insensitively), or undefined if unknown. */
  get(name: string): number | undefined {
    const def = findTunable(name);
    return def === undefined ? undefined : this.values.get(def.name);
  }

  /** For the tunables the daemon itself reads; throws on a typo in our own code. */
  value(name: string): number {
    const v = this.get(name);
    if (v === undefined) throw new Error(`internal: no tunable ${name}`);
    return v;
  }

  set(name: string, value: number): SetTunableResult {
    const def = findTunable(name);
    if (def === undefined) return 'unknown';
    this.values.set(def.name, value >>> 0);
    return def.obsolete ? 'obsolete' : 'ok';
  }

  /** The GET_ALL_TUNABLES payload (struct ctdb_tunable_list). */
  toWire(): Uint8Array {
    const list = Object.fromEntries(
      TUNABLE_LIST_ORDER.map((name) => [name, this.values.get(name) ?? 0]),
    ) as TunableList;
    return tunableListPayload.encode(list);
  }
}
