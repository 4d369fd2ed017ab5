// The start-up bundle of `ctdb` (scripts/build-ctdb.mjs): it must behave exactly like the
// source, and the commands it keeps in ctdb.cjs must not touch the lazily loaded groups. No
// daemon is needed: commands that need one fail to connect, and that failure text is compared.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, projectDir, sourceCtdb } from './ctdb-tool.js';

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('ctdb start-up bundle', () => {
  let bundle: string;
  let base: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    bundle = buildBundle();
    base = mkdtempSync(join(tmpdir(), 'ctdb-bundle-base-'));
    // A test-mode CTDB_BASE with a nodes file and no daemon behind the socket path.
    writeFileSync(join(base, 'nodes'), '# cluster\n192.0.2.10\n#192.0.2.11\n192.0.2.12\n');
    env = {
      ...process.env,
      CTDB_BASE: base,
      CTDB_TEST_MODE: 'yes',
      CTDB_SOCKET: join(base, 'run', 'ctdbd.socket'),
    };
  });
  after(() => {
    rmSync(base, { recursive: true, force: true });
  });

  const run = (argv: readonly string[], args: readonly string[]): Outcome => {
    const r = spawnSync(argv[0]!, [...argv.slice(1), ...args], {
      env,
      cwd: projectDir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('has an executable ctdb.cjs with a shebang and one file per lazily loaded group', () => {
    const main = join(bundle, 'ctdb.cjs');
    accessSync(main, constants.X_OK);
    assert.match(readFileSync(main, 'utf8'), /^#!\/usr\/bin\/env node\n/);
    for (const group of ['ip-commands', 'event-commands', 'group-commands'])
      assert.ok(existsSync(join(bundle, `${group}.js`)), `${group}.js`);
  });

  const cases: readonly (readonly string[])[] = [
    ['version'],
    ['listnodes'],
    ['-X', 'listnodes'],
    ['-n', '1', 'listnodes'],
    ['--help'],
    ['--usage'],
    [],
    ['bogus'],
    ['-Z', 'pnn'],
    ['pnn'],
    ['status'],
    ['-n', '1', 'status'],
    ['ip'],
    ['ifaces'],
    ['tickle', '192.0.2.1:1'],
    ['tickle', 'nonsense', '192.0.2.1:1'],
    ['checktcpport'],
    ['scriptstatus', 'bogus'],
    ['natgw'],
    ['lvs', 'bogus'],
  ];
  for (const args of cases) {
    test(`ctdb ${args.join(' ')}: the bundle prints and exits as the source does`, () => {
      const fromBundle = run([process.execPath, join(bundle, 'ctdb.cjs')], args);
      const fromSource = run(sourceCtdb(), args);
      assert.deepEqual(fromBundle, fromSource);
    });
  }

  test('the node commands run from ctdb.cjs alone; other groups load only when used', () => {
    const alone = mkdtempSync(join(tmpdir(), 'ctdb-bundle-alone-'));
    try {
      cpSync(join(bundle, 'ctdb.cjs'), join(alone, 'ctdb.cjs'));
      const argv = [process.execPath, join(alone, 'ctdb.cjs')];
      const full = [process.execPath, join(bundle, 'ctdb.cjs')];
      assert.deepEqual(run(argv, ['version']), run(full, ['version']));
      assert.deepEqual(run(argv, ['listnodes']), run(full, ['listnodes']));
      const pnn = run(argv, ['pnn']);
      assert.deepEqual(pnn, run(full, ['pnn']));
      assert.match(pnn.stderr, /Failed to connect to CTDB daemon/);
      // Without its file, an IP command is an unknown command, as for a group not built.
      assert.deepEqual(run(argv, ['ip']), {
        code: 1,
        stdout: '',
        stderr: "Unknown command 'ip'\n",
      });
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });
});
