// Building the one list every algorithm works on. No node knows every address, so the
// nodes' lists are merged: an address is owned by node i only if node i itself says it hosts
// it (other nodes' opinions may be stale); a later node's entry replaces an earlier one but
// keeps the earlier owner when it has none of its own. Entries are merged by 128-bit key, as
// CTDB's tree does. The list is kept in descending key order, which is the order every
// algorithm iterates in.
//
// A cluster of 64 nodes reporting 1,000 addresses each is 64,000 entries, so addresses are
// interned once (AddressBook: one small integer per family and key) and everything after
// that works on integer arrays rather than maps of strings or objects.

import { compareKeys, keyId, parseIpAddress, type IpAddress } from './address.js';
import { IpallocAddressError, IpallocInputError } from './errors.js';
import { UNASSIGNED, type AddressInput } from './types.js';

const NONE: number = UNASSIGNED;

/** Gives one id per (family, key), from text or from IpAddress objects. */
export class AddressBook {
  /** id → the address. */
  readonly addresses: IpAddress[] = [];
  private readonly byText = new Map<string, number>();
  private readonly byObject = new Map<IpAddress, number>();
  private readonly byV4 = new Map<number, number>();
  private readonly byV6 = new Map<string, number>();

  private idOf(address: IpAddress): number {
    // IPv4 (the common case) is keyed by its 32-bit value, without building a string.
    const v4 = address.family === 4;
    const v6key = v4 ? '' : keyId(address.key);
    let id = v4 ? this.byV4.get(address.key[3]) : this.byV6.get(v6key);
    if (id === undefined) {
      id = this.addresses.length;
      this.addresses.push(address);
      if (v4) this.byV4.set(address.key[3], id);
      else this.byV6.set(v6key, id);
    }
    return id;
  }

  /** Throws IpallocInputError naming `field` for text that is not an address. */
  intern(value: AddressInput, field: string): number {
    if (typeof value === 'string') {
      let id = this.byText.get(value);
      if (id === undefined) {
        let parsed: IpAddress;
        try {
          parsed = parseIpAddress(value);
        } catch (err) {
          if (err instanceof IpallocAddressError) throw new IpallocInputError(err.message, field);
          throw err;
        }
        id = this.idOf(parsed);
        this.byText.set(value, id);
      }
      return id;
    }
    let id = this.byObject.get(value);
    if (id === undefined) {
      id = this.idOf(value);
      this.byObject.set(value, id);
    }
    return id;
  }
}

/** What one node reported, as address ids of an AddressBook. */
export interface NodeAddresses {
  readonly knownIds: Int32Array;
  /** The owner the node believes each known address has (-1: none). */
  readonly knownPnns: Int32Array;
  readonly availableIds: Int32Array;
}

export interface MergedList {
  /** Descending key order. */
  readonly addresses: readonly IpAddress[];
  /** The trusted current owner of each, or UNASSIGNED. */
  readonly owners: readonly number[];
  /** ip-major bitmaps (ip * numNodes + pnn); available implies known. */
  readonly available: Uint8Array;
  readonly known: Uint8Array;
}

export function buildMergedList(book: AddressBook, nodes: readonly NodeAddresses[]): MergedList {
  // Slots are the merged entries; an id maps to the slot of its key.
  const slotOfId = new Int32Array(book.addresses.length).fill(-1);
  const slotByKey = new Map<string, number>();
  const slotId: number[] = [];
  const slotOwner: number[] = [];
  nodes.forEach((node, pnn) => {
    const { knownIds, knownPnns } = node;
    for (let k = 0; k < knownIds.length; k++) {
      const id = knownIds[k]!;
      let slot = slotOfId[id]!;
      let fresh = false;
      if (slot < 0) {
        const key = keyId(book.addresses[id]!.key);
        const existing = slotByKey.get(key);
        if (existing === undefined) {
          slot = slotId.length;
          slotId.push(id);
          slotOwner.push(NONE);
          slotByKey.set(key, slot);
          fresh = true;
        } else {
          slot = existing;
        }
        slotOfId[id] = slot;
      }
      const owner = knownPnns[k] === pnn ? pnn : NONE;
      if (owner !== NONE || fresh) slotOwner[slot] = owner;
      slotId[slot] = id;
    }
  });

  const order = slotId.map((_, slot) => slot);
  order.sort((a, b) =>
    compareKeys(book.addresses[slotId[b]!]!.key, book.addresses[slotId[a]!]!.key),
  );
  const indexOfSlot = new Int32Array(order.length);
  order.forEach((slot, index) => (indexOfSlot[slot] = index));

  const n = nodes.length;
  const available = new Uint8Array(order.length * n);
  const known = new Uint8Array(order.length * n);
  // Matching is by family and address (CTDB's same-IP test), i.e. by id, so an IPv4 address
  // and an IPv6 address that share a key do not match each other.
  const mark = (bitmap: Uint8Array, id: number, pnn: number): void => {
    const slot = slotOfId[id]!;
    if (slot >= 0 && slotId[slot] === id) bitmap[indexOfSlot[slot]! * n + pnn] = 1;
  };
  nodes.forEach((node, pnn) => {
    for (const id of node.knownIds) mark(known, id, pnn);
    // Usually the available list is the known list itself (a healthy node); no second pass.
    const sameList = node.availableIds === node.knownIds;
    for (const id of node.availableIds) {
      mark(available, id, pnn);
      if (!sameList) mark(known, id, pnn);
    }
  });
  return {
    addresses: order.map((slot) => book.addresses[slotId[slot]!]!),
    owners: order.map((slot) => slotOwner[slot]!),
    available,
    known,
  };
}
