// Bond status from /proc/net/bonding/<bond>, as CTDB's interface check reads it.
import { getProcMaybe } from '../system/proc.js';

export interface BondStatus {
  readonly mode: string | undefined;
  /** `Currently Active Slave:` value (active-backup mode), if shown. */
  readonly activeSlave: string | undefined;
  /** The bond's own MII status is up. */
  readonly miiUp: boolean;
  /** MII status of each slave, in file order. */
  readonly slaveMiiUp: readonly boolean[];
  readonly is8023ad: boolean;
}

export function parseBondStatus(text: string): BondStatus {
  const lines = text.split('\n');
  const mii = lines.filter((l) => l.startsWith('MII Status:')).map((l) => /:\s*up\s*$/.test(l));
  const mode = lines
    .find((l) => l.startsWith('Bonding Mode:'))
    ?.slice(13)
    .trim();
  const active = lines
    .find((l) => l.startsWith('Currently Active Slave:'))
    ?.slice(23)
    .trim();
  return {
    mode,
    activeSlave: active,
    miiUp: mii.some((up) => up),
    slaveMiiUp: mii.slice(1),
    is8023ad: mode === 'IEEE 802.3ad Dynamic link aggregation',
  };
}

/** The status of bond NAME, or undefined when NAME is not a bond. */
export async function readBondStatus(name: string): Promise<BondStatus | undefined> {
  const text = await getProcMaybe(`net/bonding/${name}`);
  return text === undefined ? undefined : parseBondStatus(text);
}
