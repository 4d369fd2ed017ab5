// Blocking traffic to a public address while it is released (10.interface's ip_block /
// ip_unblock): `INPUT -i IFACE -d IP -j DROP`. Each block leaves a marker file beside the
// iptables lock, written before the rule goes in and removed after it comes out, so a later
// `takeip` knows whether a killed `releaseip` left a rule behind without running iptables.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { familyOf, iptablesStatus, type IptablesOptions } from './iptables.js';

function dropRule(ip: string, iface: string): string[] {
  return ['INPUT', '-i', iface, '-d', ip, '-j', 'DROP'];
}

function markerDir(varDir: string): string {
  return join(varDir, 'ip-blocks');
}

function markerFile(varDir: string, ip: string, iface: string): string {
  return join(markerDir(varDir), `${ip.replaceAll(':', '_')}@${iface}`);
}

/** Drops packets for IP arriving on IFACE (replacing a stale copy of the rule). */
export async function blockIp(ip: string, iface: string, opts: IptablesOptions): Promise<void> {
  mkdirSync(markerDir(opts.varDir), { recursive: true });
  writeFileSync(markerFile(opts.varDir, ip, iface), '');
  const family = familyOf(ip);
  // The extra delete copes with a rule left by an earlier, killed release.
  await iptablesStatus(family, ['-D', ...dropRule(ip, iface)], opts);
  await iptablesStatus(family, ['-I', ...dropRule(ip, iface)], opts);
}

/** Removes the DROP rule for IP on IFACE, if any. */
export async function unblockIp(ip: string, iface: string, opts: IptablesOptions): Promise<void> {
  await iptablesStatus(familyOf(ip), ['-D', ...dropRule(ip, iface)], opts);
  rmSync(markerFile(opts.varDir, ip, iface), { force: true });
}

/** True when a block of ours for IP on IFACE may still be in place. */
// eslint-disable-next-line @typescript-eslint/require-await -- a stat is cheaper than a thread-pool trip
export async function isBlockMarked(ip: string, iface: string, varDir: string): Promise<boolean> {
  return existsSync(markerFile(varDir, ip, iface));
}

/** Unblocks only if a marker says a block may be in place; returns whether it ran iptables. */
export async function unblockIpIfMarked(
  ip: string,
  iface: string,
  opts: IptablesOptions,
): Promise<boolean> {
  if (!(await isBlockMarked(ip, iface, opts.varDir))) return false;
  await unblockIp(ip, iface, opts);
  return true;
}
