// For each unassigned address, the node where it would cost least (lowest PNN on ties),
// kept current as costs change. LCP2 places one address per step and every step changes the
// cost of all remaining addresses on one node; a rescan of N nodes per address per step would
// dominate (in practice every address shares the same cheapest node, the least loaded one,
// so every step would rescan everything). A small tournament tree per address makes each
// change O(log N).

export class CheapestNode {
  private readonly size: number;
  /** Per slot, a 1-based binary tree; leaves at [size, 2 * size). Cost and node per entry. */
  private readonly cost: Float64Array;
  private readonly node: Int32Array;

  constructor(
    private readonly numNodes: number,
    /** Slot → address index. */
    private readonly ipOfSlot: readonly number[],
    /** ip-major (ip * numNodes + pnn) exact dsums; a cost is the uint32_t reduction. */
    private readonly sums: Float64Array,
    /** ip-major: 1 where the node may take the address; null when no node may take any. */
    private readonly allowed: Uint8Array | null,
  ) {
    let size = 1;
    while (size < numNodes) size *= 2;
    this.size = size;
    const slots = ipOfSlot.length;
    this.cost = new Float64Array(slots * 2 * size).fill(Infinity);
    this.node = new Int32Array(slots * 2 * size).fill(-1);
    for (let slot = 0; slot < slots; slot++) {
      const base = slot * 2 * size;
      for (let pnn = 0; pnn < numNodes; pnn++) {
        this.cost[base + size + pnn] = this.costOf(slot, pnn);
        this.node[base + size + pnn] = pnn;
      }
      for (let k = size - 1; k >= 1; k--) {
        const left = base + 2 * k;
        const from = this.cost[left + 1]! < this.cost[left]! ? left + 1 : left;
        this.cost[base + k] = this.cost[from]!;
        this.node[base + k] = this.node[from]!;
      }
    }
  }

  private costOf(slot: number, pnn: number): number {
    const at = this.ipOfSlot[slot]! * this.numNodes + pnn;
    return this.allowed !== null && this.allowed[at] === 1 ? this.sums[at]! >>> 0 : Infinity;
  }

  /** The costs of node pnn changed for these slots: re-read them and fix the trees. */
  nodeChanged(pnn: number, slots: readonly number[]): void {
    const size = this.size;
    const cost = this.cost;
    const node = this.node;
    for (const slot of slots) {
      const base = slot * 2 * size;
      let k = size + pnn;
      cost[base + k] = this.costOf(slot, pnn);
      // Climb while the subtree's winner changes; the left child (lower PNNs) wins ties.
      for (k >>= 1; k >= 1; k >>= 1) {
        const left = base + 2 * k;
        const from = cost[left + 1]! < cost[left]! ? left + 1 : left;
        const at = base + k;
        if (cost[at] === cost[from] && node[at] === node[from]) break;
        cost[at] = cost[from]!;
        node[at] = node[from]!;
      }
    }
  }

  /** The cheapest node for the slot's address, or -1 if no node may take it. */
  best(slot: number): number {
    const root = slot * 2 * this.size + 1;
    return this.cost[root] === Infinity ? -1 : this.node[root]!;
  }

  /** The cost at the cheapest node (Infinity if none). */
  bestCost(slot: number): number {
    return this.cost[slot * 2 * this.size + 1]!;
  }
}
