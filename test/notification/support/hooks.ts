// A throw-away CTDB_BASE for notification tests: an events/notification folder whose
// `*.script` files launch our hook modules, options files, and a stand-in `ctdb` that answers
// `-X nodestatus all` and `status` for a 3-node cluster where this node (PNN 1) is
// UNHEALTHY, or fails as when ctdbd is down.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const LAUNCHER = join(ROOT, 'test/notification/support/launch-hook.ts');
const TSX = fileURLToPath(import.meta.resolve('tsx'));

export const NODE1_ADDRESS = '10.1.0.2';
export const CLUSTER_STATE = '0:OK 1:UNHEALTHY 2:OK';

const FAKE_CTDB = `#!/bin/sh
if [ -e "$FAKE_CTDB_DOWN" ] ; then
  echo "Failed to connect to CTDB daemon (/run/ctdb/ctdbd.socket)" >&2
  exit 1
fi
case "$*" in
"-X nodestatus all")
  echo "|Node|IP|Disconnected|Unknown|Banned|Disabled|Unhealthy|Stopped|Inactive|PartiallyOnline|ThisNode|"
  echo "|0|10.1.0.1|0|0|0|0|0|0|0|0|N|"
  echo "|1|10.1.0.2|0|0|0|0|1|0|0|0|Y|"
  echo "|2|10.1.0.3|0|0|0|0|0|0|0|0|N|"
  exit 2 ;;
status)
  echo "Number of nodes:3"
  echo "pnn:0 10.1.0.1         OK"
  echo "pnn:1 10.1.0.2         UNHEALTHY (THIS NODE)"
  echo "pnn:2 10.1.0.3         OK"
  echo "Generation:1234567"
  echo "Size:3"
  echo "hash:0 lmaster:0"
  echo "hash:1 lmaster:1"
  echo "hash:2 lmaster:2"
  echo "Recovery mode:NORMAL (0)"
  echo "Leader:0"
  exit 2 ;;
esac
exit 1
`;

export interface HookBase {
  readonly dir: string;
  readonly base: string;
  readonly notificationDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Installs `<name>.script` launching events/notification/<module>.ts. */
  install(name: string, module: string, options?: string): void;
  writeOptions(name: string, text: string): void;
  /** Makes the stand-in `ctdb` fail as when ctdbd is not running. */
  setDaemonDown(down: boolean): void;
  cleanup(): void;
}

export function makeHookBase(label: string): HookBase {
  const dir = mkdtempSync(join(tmpdir(), `h7-${label}-`));
  const base = join(dir, 'base');
  const notificationDir = join(base, 'events', 'notification');
  mkdirSync(notificationDir, { recursive: true });
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'ctdb'), FAKE_CTDB);
  chmodSync(join(dir, 'bin', 'ctdb'), 0o755);
  const down = join(dir, 'ctdbd-down');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    CTDB_BASE: base,
    CTDB: join(dir, 'bin', 'ctdb'),
    FAKE_CTDB_DOWN: down,
  };
  return {
    dir,
    base,
    notificationDir,
    env,
    install(name, module, options) {
      const script = join(notificationDir, `${name}.script`);
      const target = join(ROOT, 'events/notification', `${module}.ts`);
      writeFileSync(
        script,
        `#!/bin/sh\nexec "${process.execPath}" --import "${TSX}" "${LAUNCHER}" "${target}" "$@"\n`,
      );
      chmodSync(script, 0o755);
      if (options !== undefined) this.writeOptions(module, options);
    },
    writeOptions(name, text) {
      writeFileSync(join(notificationDir, `${name}.options`), text);
    },
    setDaemonDown(isDown) {
      if (isDown) writeFileSync(down, '');
      else rmSync(down, { force: true });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Collects what a NotifyLogger is given. */
export class MemoryLog {
  readonly records: { level: string; msg: string; fields: object }[] = [];
  error(fields: object, msg: string): void {
    this.records.push({ level: 'error', msg, fields });
  }
  warn(fields: object, msg: string): void {
    this.records.push({ level: 'warn', msg, fields });
  }
  info(fields: object, msg: string): void {
    this.records.push({ level: 'info', msg, fields });
  }
  debug(fields: object, msg: string): void {
    this.records.push({ level: 'debug', msg, fields });
  }
  errors(): string[] {
    return this.records.filter((r) => r.level === 'error').map((r) => r.msg);
  }
}
