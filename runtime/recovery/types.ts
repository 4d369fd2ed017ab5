// The shapes the recovery logic works on: node maps and vnnmaps as fetched from the daemons.
export interface NodeEntry {
  readonly pnn: number;
  readonly flags: number;
}

export interface VnnMap {
  readonly generation: number;
  readonly map: readonly number[];
}

/** A fetch from a node that may have failed (the failure is blamed on that node). */
export type Fetched<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };
