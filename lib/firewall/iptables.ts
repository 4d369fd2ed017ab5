// iptables / ip6tables under CTDB's lock: `flock -w 30 $CTDB_SCRIPT_VARDIR/iptables.flock`,
// exactly as CTDB's iptables_wrapper takes it, so shell and TypeScript scripts on one node
// never run iptables at the same time. Plus idempotent chain and rule helpers.
import { join } from 'node:path';
import { CommandError } from '../errors/index.js';
import { run, runAllowingFailure, type RunResult } from '../shell/index.js';

export type IpFamilyName = 'inet' | 'inet6';

export interface IptablesOptions {
  /** $CTDB_SCRIPT_VARDIR, where the lock file lives. */
  readonly varDir: string;
  readonly signal?: AbortSignal;
}

/** Seconds to wait for the lock, as CTDB's wrapper does. */
export const IPTABLES_LOCK_WAIT_S = 30;

export function iptablesLockFile(varDir: string): string {
  return join(varDir, 'iptables.flock');
}

export function familyOf(ip: string): IpFamilyName {
  return ip.includes(':') ? 'inet6' : 'inet';
}

function argv(family: IpFamilyName, args: readonly string[], varDir: string): string[] {
  return [
    '-w',
    String(IPTABLES_LOCK_WAIT_S),
    iptablesLockFile(varDir),
    family === 'inet6' ? 'ip6tables' : 'iptables',
    ...args,
  ];
}

/** Runs iptables (or ip6tables) ARGS under the lock; a non-zero exit rejects with CommandError. */
export function iptables(
  family: IpFamilyName,
  args: readonly string[],
  opts: IptablesOptions,
): Promise<RunResult> {
  return run('flock', argv(family, args, opts.varDir), signalOpt(opts));
}

/** Runs iptables ARGS under the lock and resolves with the exit code, whatever it is. */
export async function iptablesStatus(
  family: IpFamilyName,
  args: readonly string[],
  opts: IptablesOptions,
): Promise<number> {
  return (await runAllowingFailure('flock', argv(family, args, opts.varDir), signalOpt(opts)))
    .exitCode;
}

function signalOpt(opts: IptablesOptions): { signal?: AbortSignal } {
  return opts.signal === undefined ? {} : { signal: opts.signal };
}

export interface RuleLocation {
  readonly family: IpFamilyName;
  /** Default `filter`. */
  readonly table?: string;
  readonly chain: string;
  /** The rule's match and target, e.g. `['-s', NET, '-j', 'MASQUERADE']`. */
  readonly rule: readonly string[];
}

function tableArgs(table: string | undefined): string[] {
  return table === undefined || table === 'filter' ? [] : ['-t', table];
}

/** True when the rule exists (`iptables -C`). */
export async function hasRule(loc: RuleLocation, opts: IptablesOptions): Promise<boolean> {
  const code = await iptablesStatus(
    loc.family,
    [...tableArgs(loc.table), '-C', loc.chain, ...loc.rule],
    opts,
  );
  return code === 0;
}

/** Appends the rule (or inserts it first with `position: 'first'`) unless it is already there. */
export async function ensureRule(
  loc: RuleLocation,
  opts: IptablesOptions & { position?: 'first' | 'last' },
): Promise<boolean> {
  if (await hasRule(loc, opts)) return false;
  const op = opts.position === 'first' ? '-I' : '-A';
  await iptables(loc.family, [...tableArgs(loc.table), op, loc.chain, ...loc.rule], opts);
  return true;
}

/** Deletes every copy of the rule; returns how many were removed. */
export async function removeRule(loc: RuleLocation, opts: IptablesOptions): Promise<number> {
  let n = 0;
  // Bounded: a rule cannot usefully be present more than a handful of times.
  for (let i = 0; i < 100; i++) {
    const code = await iptablesStatus(
      loc.family,
      [...tableArgs(loc.table), '-D', loc.chain, ...loc.rule],
      opts,
    );
    if (code !== 0) break;
    n++;
  }
  return n;
}

/** Creates a user chain if it does not exist (`-N`); returns whether it created one. */
export async function ensureChain(
  family: IpFamilyName,
  chain: string,
  opts: IptablesOptions & { table?: string },
): Promise<boolean> {
  const t = tableArgs(opts.table);
  if ((await iptablesStatus(family, [...t, '-S', chain], opts)) === 0) return false;
  await iptables(family, [...t, '-N', chain], opts);
  return true;
}

/** Flushes and deletes a user chain if it exists. */
export async function removeChain(
  family: IpFamilyName,
  chain: string,
  opts: IptablesOptions & { table?: string },
): Promise<void> {
  const t = tableArgs(opts.table);
  if ((await iptablesStatus(family, [...t, '-S', chain], opts)) !== 0) return;
  await iptables(family, [...t, '-F', chain], opts);
  try {
    await iptables(family, [...t, '-X', chain], opts);
  } catch (err) {
    // Still referenced by a jump somewhere: leave it empty, as flushing already did the work.
    if (!(err instanceof CommandError)) throw err;
  }
}

/** The rules of a chain as `iptables -S CHAIN` prints them. */
export async function listChainRules(
  family: IpFamilyName,
  chain: string,
  opts: IptablesOptions & { table?: string },
): Promise<string[]> {
  const r = await iptables(family, [...tableArgs(opts.table), '-S', chain], opts);
  return r.stdout.split('\n').filter((l) => l !== '');
}
