// ipvsadm wrappers for LVS (91.lvs): virtual services and their real servers.
import { run, runAllowingFailure } from '../shell/index.js';

export interface IpvsOptions {
  readonly signal?: AbortSignal;
}

function so(opts: IpvsOptions): { signal?: AbortSignal } {
  return opts.signal === undefined ? {} : { signal: opts.signal };
}

/** `ipvsadm -A -t|-u VIP:PORT -s SCHED [-p TIMEOUT]` for TCP or UDP. */
export async function addVirtualService(
  proto: 'tcp' | 'udp',
  address: string,
  opts: IpvsOptions & { scheduler?: string; persistent?: number } = {},
): Promise<void> {
  await run(
    'ipvsadm',
    [
      '-A',
      proto === 'tcp' ? '-t' : '-u',
      address,
      '-s',
      opts.scheduler ?? 'lc',
      ...(opts.persistent === undefined ? [] : ['-p', String(opts.persistent)]),
    ],
    so(opts),
  );
}

/** `ipvsadm -D -t|-u VIP:PORT`; an absent service is not an error. */
export async function deleteVirtualService(
  proto: 'tcp' | 'udp',
  address: string,
  opts: IpvsOptions = {},
): Promise<void> {
  await runAllowingFailure('ipvsadm', ['-D', proto === 'tcp' ? '-t' : '-u', address], so(opts));
}

/** `ipvsadm -a -t|-u VIP:PORT -r REAL[:PORT] -g|-m|-i [-w WEIGHT]`. */
export async function addRealServer(
  proto: 'tcp' | 'udp',
  address: string,
  real: string,
  opts: IpvsOptions & { method?: 'gatewaying' | 'masquerading' | 'ipip'; weight?: number } = {},
): Promise<void> {
  const method = { gatewaying: '-g', masquerading: '-m', ipip: '-i' }[opts.method ?? 'gatewaying'];
  await run(
    'ipvsadm',
    [
      '-a',
      proto === 'tcp' ? '-t' : '-u',
      address,
      '-r',
      real,
      method,
      ...(opts.weight === undefined ? [] : ['-w', String(opts.weight)]),
    ],
    so(opts),
  );
}

/** `ipvsadm -d -t|-u VIP:PORT -r REAL`; an absent server is not an error. */
export async function deleteRealServer(
  proto: 'tcp' | 'udp',
  address: string,
  real: string,
  opts: IpvsOptions = {},
): Promise<void> {
  await runAllowingFailure(
    'ipvsadm',
    ['-d', proto === 'tcp' ? '-t' : '-u', address, '-r', real],
    so(opts),
  );
}

/** `ipvsadm -C`: clears the whole table. */
export async function clearIpvs(opts: IpvsOptions = {}): Promise<void> {
  await run('ipvsadm', ['-C'], so(opts));
}

/** `ipvsadm -Ln`: the table as text. */
export async function listIpvs(opts: IpvsOptions = {}): Promise<string> {
  return (await run('ipvsadm', ['-Ln'], so(opts))).stdout;
}
