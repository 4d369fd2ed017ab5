// A real net-snmp `snmptrapd` on 127.0.0.1 and a random UDP port, hermetic (its own
// persistent directory and config, no MIBs), logging received traps to a file we read.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const SNMPTRAPD = '/usr/sbin/snmptrapd';

export function haveSnmptrapd(): boolean {
  return spawnSync(SNMPTRAPD, ['--version'], { stdio: 'ignore' }).error === undefined;
}

export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface ReceivedTrap {
  readonly header: string;
  /** OID (numeric, leading dot) → value text as snmptrapd prints it. */
  readonly varbinds: ReadonlyMap<string, string>;
}

export class TrapReceiver {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly logFile: string,
  ) {}

  /** Starts snmptrapd; `users` are snmptrapd.conf createUser lines. */
  static async start(dir: string, users: readonly string[] = []): Promise<TrapReceiver> {
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'snmptrapd.conf');
    const logFile = join(dir, 'traps.log');
    writeFileSync(conf, ['disableAuthorization yes', ...users, ''].join('\n'));
    writeFileSync(logFile, '');
    const port = await freeUdpPort();
    const child = spawn(
      SNMPTRAPD,
      ['-f', '-On', '-Lf', logFile, '-C', '-c', conf, '-m', '', '-n', `udp:127.0.0.1:${port}`],
      { env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist') }, stdio: 'ignore' },
    );
    const r = new TrapReceiver(port, child, logFile);
    // Ready once it has written its start banner.
    for (let i = 0; i < 50 && !readFileSync(logFile, 'utf8').includes('NET-SNMP version'); i++)
      await sleep(100);
    return r;
  }

  traps(): ReceivedTrap[] {
    const text = readFileSync(this.logFile, 'utf8');
    const out: ReceivedTrap[] = [];
    const records = text.split(/^(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d )/m).slice(1);
    for (const record of records) {
      const [header = '', ...rest] = record.split('\n');
      const varbinds = new Map<string, string>();
      for (const part of rest.join('\n').split('\t')) {
        const m = /^\s*(\.[\d.]+) = (.*)$/s.exec(part.trimEnd());
        if (m?.[1] !== undefined) varbinds.set(m[1], m[2] ?? '');
      }
      out.push({ header, varbinds });
    }
    return out;
  }

  /** Waits (bounded) until a trap with snmpTrapOID `trapOid` arrives. */
  async waitFor(trapOid: string, timeoutMs = 5000): Promise<ReceivedTrap | undefined> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const t = this.traps().find(
        (x) => x.varbinds.get('.1.3.6.1.6.3.1.1.4.1.0') === `OID: .${trapOid}`,
      );
      if (t !== undefined) return t;
      await sleep(100);
    }
    return undefined;
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}
