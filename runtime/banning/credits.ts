// Ban credits, kept by the leader's recoverd (CTDB 4.17 ctdb_set_culprit_count and
// ban_misbehaving_nodes). A node blamed for a failed check gets credits; a node whose credits
// reach 2 × the number of nodes is banned for RecoveryBanPeriod and its credits are zeroed.
// Credits are forgiven when the previous blame is older than RecoveryGracePeriod, and all are
// cleared after a successful recovery.
import type { Clock } from '../health/clock.js';

interface Culprit {
  credits: number;
  lastReportedMs: number;
}

export interface BanCreditsDeps {
  readonly clock: Clock;
  /** Seconds (tunable RecoveryGracePeriod, 120). */
  recoveryGracePeriod(): number;
  /** Is pnn in the node map? Blame on an unknown node is dropped. */
  isKnownNode(pnn: number): boolean;
  /** Is this (the leader's) node INACTIVE? An inactive node blames nobody. */
  selfInactive(): boolean;
}

export interface BanDecision {
  readonly pnn: number;
  readonly credits: number;
}

export class BanCredits {
  private readonly culprits = new Map<number, Culprit>();

  constructor(private readonly deps: BanCreditsDeps) {}

  /** The node blamed last (logged by a recovery as its cause). */
  lastCulprit: number | undefined;

  /** Blames `pnn` with `count` credits (forgiving old blame first). */
  culprit(pnn: number, count = 1): void {
    if (!this.deps.isKnownNode(pnn) || this.deps.selfInactive()) return;
    const now = this.deps.clock.now();
    const c = this.culprits.get(pnn) ?? { credits: 0, lastReportedMs: now };
    if (now - c.lastReportedMs > this.deps.recoveryGracePeriod() * 1000) c.credits = 0;
    c.credits += count;
    c.lastReportedMs = now;
    this.culprits.set(pnn, c);
    this.lastCulprit = pnn;
  }

  credits(pnn: number): number {
    return this.culprits.get(pnn)?.credits ?? 0;
  }

  /**
   * The nodes to ban now (credits ≥ 2 × nodeCount); their credits are zeroed. The caller
   * sends SET_BAN_STATE{pnn, RecoveryBanPeriod} to each and stops if one is itself.
   */
  takeBans(nodeCount: number): BanDecision[] {
    const out: BanDecision[] = [];
    for (const [pnn, c] of this.culprits) {
      if (c.credits >= 2 * nodeCount) {
        out.push({ pnn, credits: c.credits });
        c.credits = 0;
      }
    }
    return out;
  }

  /** After a successful recovery. */
  reset(): void {
    this.culprits.clear();
  }
}
