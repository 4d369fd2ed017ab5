// For each unassigned address, the node where it would cost least (lowest PNN on ties), and
// the cheapest (address, node) pair overall, first in list order on ties — the choice LCP2
// makes at every step of placing unassigned addresses.
//
// Each step gives one address to one node, which raises the cost of every remaining address
// on that node and no other. In practice most addresses share the same cheapest node (the
// least loaded one), so recomputing every affected address at every step would make the
// whole placement quadratic in addresses times nodes. Instead an address whose cheapest node
// just received an address is only marked stale: its old cost is still a lower bound (costs
// never go down), and it is recomputed only when that bound could beat the best pair found
// among the up-to-date ones. Few are.

export class CheapestNode {
  private readonly bestCost: Float64Array;
  private readonly bestNode: Int32Array;
  private readonly stale: Uint8Array;

  constructor(
    private readonly numNodes: number,
    private readonly numIps: number,
    /** Slot → address index. */
    private readonly ipOfSlot: readonly number[],
    /** Node-major (pnn * numIps + ip) exact dsums; a cost is the uint32_t reduction. */
    private readonly sums: Float64Array,
    /** ip-major (ip * numNodes + pnn): 1 where the node may take the address; null: none may. */
    private readonly allowed: Uint8Array | null,
    /**
     * Costs may wrap past 2^32 (hundreds of thousands of addresses), so an old cost is no
     * longer a lower bound: recompute every affected address eagerly.
     */
    private readonly eager: boolean,
  ) {
    const slots = ipOfSlot.length;
    this.bestCost = new Float64Array(slots);
    this.bestNode = new Int32Array(slots);
    this.stale = new Uint8Array(slots);
    for (let slot = 0; slot < slots; slot++) this.refresh(slot);
  }

  private refresh(slot: number): void {
    const ip = this.ipOfSlot[slot]!;
    let node = -1;
    let cost = Infinity;
    if (this.allowed !== null) {
      const row = ip * this.numNodes;
      for (let pnn = 0; pnn < this.numNodes; pnn++) {
        if (this.allowed[row + pnn] !== 1) continue;
        const c = this.sums[pnn * this.numIps + ip]! >>> 0;
        if (node < 0 || c < cost) {
          node = pnn;
          cost = c;
        }
      }
    }
    this.bestNode[slot] = node;
    this.bestCost[slot] = cost;
    this.stale[slot] = 0;
  }

  /** Node pnn's costs went up for these slots. */
  nodeChanged(pnn: number, slots: readonly number[]): void {
    for (const slot of slots) {
      if (this.eager || this.bestNode[slot] === pnn) this.stale[slot] = 1;
    }
  }

  /**
   * The position in `slots` (which are in list order) of the cheapest placeable address,
   * or -1 if none can be placed. Ties go to the earlier position.
   */
  pick(slots: readonly number[]): number {
    let pick = -1;
    let pickCost = Infinity;
    // Up-to-date slots first: their minimum bounds which stale slots are worth refreshing.
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k]!;
      if (this.stale[slot] === 1 || this.bestNode[slot]! < 0) continue;
      if (pick < 0 || this.bestCost[slot]! < pickCost) {
        pick = k;
        pickCost = this.bestCost[slot]!;
      }
    }
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k]!;
      if (this.stale[slot] === 0) continue;
      // The old cost is a lower bound; if even that cannot win, the slot can wait.
      const bound = this.bestCost[slot]!;
      if (!this.eager && pick >= 0 && (bound > pickCost || (bound === pickCost && k > pick))) {
        continue;
      }
      this.refresh(slot);
      if (this.bestNode[slot]! < 0) continue;
      const cost = this.bestCost[slot]!;
      if (pick < 0 || cost < pickCost || (cost === pickCost && k < pick)) {
        pick = k;
        pickCost = cost;
      }
    }
    return pick;
  }

  /** The cheapest node for the slot's address (valid after pick() chose the slot). */
  best(slot: number): number {
    return this.bestNode[slot]!;
  }

  /** The cost at that node. */
  cost(slot: number): number {
    return this.bestCost[slot]!;
  }
}
