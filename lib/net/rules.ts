// Policy routing rules through rtnetlink (`ip rule add/del/list`).
import { FlagsNew, rt } from 'netlink';
import { toNetlinkError } from '../errors/index.js';
import { afOf, AF_INET, bufferToIp, ipToBuffer, parsePrefix, type Family } from './ip.js';
import { nl } from './rtnl.js';

const ACTION_TO_TABLE = rt.RuleAction.toTbl;

export interface RuleSpec {
  /** `from ADDR[/BITS]`. */
  readonly from?: string;
  /** `to ADDR[/BITS]`. */
  readonly to?: string;
  /** `lookup TABLE`. */
  readonly table: number;
  /** `pref N`. */
  readonly priority?: number;
  /** Needed when neither from nor to says it (default 4). */
  readonly family?: Family;
}

export interface RuleInfo {
  readonly family: Family;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly table: number;
  readonly priority: number | undefined;
}

function encode(spec: RuleSpec) {
  const from = spec.from === undefined ? undefined : parsePrefix(spec.from);
  const to = spec.to === undefined ? undefined : parsePrefix(spec.to);
  const family = from?.family ?? to?.family ?? spec.family ?? 4;
  return {
    data: {
      family: afOf(family),
      srcLen: from?.bits ?? 0,
      dstLen: to?.bits ?? 0,
      table: spec.table < 256 ? spec.table : 0,
      action: ACTION_TO_TABLE,
    },
    attrs: {
      table: spec.table,
      ...(from === undefined ? {} : { src: ipToBuffer(from.ip) }),
      ...(to === undefined ? {} : { dst: ipToBuffer(to.ip) }),
      ...(spec.priority === undefined ? {} : { priority: spec.priority }),
    },
  };
}

function describe(spec: RuleSpec): string {
  return [
    spec.priority === undefined ? '' : `pref ${spec.priority}`,
    spec.from === undefined ? '' : `from ${spec.from}`,
    spec.to === undefined ? '' : `to ${spec.to}`,
    `lookup ${spec.table}`,
  ]
    .filter((s) => s !== '')
    .join(' ');
}

export async function addRule(spec: RuleSpec): Promise<void> {
  const { data, attrs } = encode(spec);
  try {
    await nl((s) => s.newRule(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL }));
  } catch (err) {
    throw toNetlinkError(err, 'add rule', describe(spec));
  }
}

/** Deletes a matching rule; rejects with NetlinkError (ENOENT when there is none). */
export async function deleteRule(spec: RuleSpec): Promise<void> {
  const { data, attrs } = encode(spec);
  try {
    await nl((s) => s.delRule(data, attrs));
  } catch (err) {
    throw toNetlinkError(err, 'delete rule', describe(spec));
  }
}

export async function listRules(family?: Family): Promise<RuleInfo[]> {
  let messages;
  try {
    messages = await nl((s) => s.getRules(family === undefined ? {} : { family: afOf(family) }));
  } catch (err) {
    throw toNetlinkError(err, 'list rules', 'all');
  }
  return messages.map((m) => ({
    family: m.data.family === AF_INET ? 4 : 6,
    from:
      m.attrs.src === undefined ? undefined : `${bufferToIp(m.attrs.src)}/${m.data.srcLen ?? 0}`,
    to: m.attrs.dst === undefined ? undefined : `${bufferToIp(m.attrs.dst)}/${m.data.dstLen ?? 0}`,
    table: m.attrs.table ?? m.data.table ?? 0,
    priority: m.attrs.priority,
  }));
}
