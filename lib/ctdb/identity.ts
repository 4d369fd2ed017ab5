// This node's private address as the shell functions learn it (ctdb_get_ip_address: field 3 of
// line 2 of `$CTDB -X nodestatus`, cached in $CTDB_SCRIPT_VARDIR/my-ip-address), and whether
// a group nodes file (NATGW, LVS) marks this node `follower-only`.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ctdb, type CtdbCallOptions } from './cli.js';
import { ctdbScriptVarDir } from './env.js';

/** CTDB's ctdb_get_ip_address. An unanswered question leaves it empty, as in CTDB. */
export async function myIpAddress(opts: CtdbCallOptions): Promise<string> {
  const env = opts.env ?? process.env;
  const cache = join(ctdbScriptVarDir(env), 'my-ip-address');
  const cached = await readFile(cache, 'utf8').catch(() => undefined);
  if (cached !== undefined && cached.trim() !== '') return cached.trim();
  const r = await ctdb(['-X', 'nodestatus'], opts).catch(() => undefined);
  const ip = (r?.stdout.split('\n')[1] ?? '').split('|')[2] ?? '';
  if (ip !== '') await writeFile(cache, `${ip}\n`).catch(() => undefined);
  return ip;
}

/** Whether this node's line in a group nodes file carries `follower-only`. */
export async function isFollowerOnly(opts: CtdbCallOptions, nodesFile: string): Promise<boolean> {
  const me = await myIpAddress(opts);
  const text = await readFile(nodesFile, 'utf8');
  for (const line of text.split('\n')) {
    const [ip, opt] = line.trim().split(/\s+/);
    if (ip === me) return opt?.includes('follower-only') === true;
  }
  return false;
}
