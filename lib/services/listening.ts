// "Is anything listening?" checks answered locally from the kernel's socket tables in
// /proc/net (the same information `ss -l` reads), without running a program:
// TCP ports (IPv4 and IPv6) and Unix domain sockets by path.
import { readFile } from 'node:fs/promises';

const TCP_LISTEN = '0A';

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** The TCP ports with a listening socket in this network namespace (IPv4 and IPv6). */
export async function listeningTcpPorts(): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (await readOptional(file)).split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== TCP_LISTEN) continue;
      const port = f[1]?.split(':')[1];
      if (port !== undefined) ports.add(parseInt(port, 16));
    }
  }
  return ports;
}

/** True when something listens on TCP PORT (any address). */
export async function isTcpPortListening(port: number): Promise<boolean> {
  return (await listeningTcpPorts()).has(port);
}

/**
 * Checks each port as `ctdb_check_tcp_ports` does and returns the first that nothing listens
 * on, or undefined when all are served.
 */
export async function firstTcpPortNotListening(
  ports: readonly number[],
): Promise<number | undefined> {
  const listening = await listeningTcpPorts();
  return ports.find((p) => !listening.has(p));
}

/** Flag __SO_ACCEPTCON in /proc/net/unix: the socket is listening. */
const SO_ACCEPTCON = 0x10000;

/** True when a Unix stream or seqpacket socket bound to PATH is listening. */
export async function isUnixSocketListening(path: string): Promise<boolean> {
  for (const line of (await readOptional('/proc/net/unix')).split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f.slice(7).join(' ') !== path) continue;
    if ((parseInt(f[3] ?? '0', 16) & SO_ACCEPTCON) !== 0) return true;
  }
  return false;
}
