// Side by side with CTDB 4.17's own shell eventscripts (Debian's package, with its
// `functions`): the same event, in the same namespace, with the same files, must end with
// the same status and print the same lines.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { canCreateNamespaces, NetLab, type LabHost } from '../support/netlab.js';
import { HookServer, ScriptSandbox } from './support/script-host.js';

const SHELL_DIR = '/usr/share/ctdb/events/legacy';
const can = canCreateNamespaces();
const skip = !can.ok
  ? can.reason
  : existsSync('/etc/ctdb/functions') && existsSync(`${SHELL_DIR}/10.interface.script`)
    ? false
    : "needs Debian's ctdb package (/etc/ctdb/functions and its eventscripts)";

interface Outcome {
  status: number;
  lines: string[];
}

/** Output lines, order-insensitive (stdout and stderr interleave differently), blanks dropped. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .sort();
}

describe('our eventscripts against CTDB 4.17 shell scripts', { skip }, () => {
  let lab: NetLab;
  let node: LabHost;
  let box: ScriptSandbox;
  const servers = new Map<string, HookServer>();

  async function ours(script: string, event: string, ...words: string[]): Promise<Outcome> {
    let s = servers.get(script);
    if (s === undefined) {
      s = await HookServer.start(
        script,
        box.env({ CTDB_TEST_MODE: '1' }),
        node,
        box.install(script),
      );
      servers.set(script, s);
    }
    const r = await s.run(event, ...words);
    return { status: r.status, lines: lines(r.output) };
  }

  async function shell(script: string, event: string, ...words: string[]): Promise<Outcome> {
    const path = join(box.base, 'events/legacy', `${script}.script`);
    if (!existsSync(path)) {
      copyFileSync(join(SHELL_DIR, `${script}.script`), path);
      chmodSync(path, 0o755);
    }
    const r = await node.run([path, event, ...words], { env: box.env({ CTDB_TEST_MODE: '1' }) });
    return { status: r.code ?? -1, lines: lines(r.stdout + r.stderr) };
  }

  async function same(script: string, event: string, ...words: string[]): Promise<Outcome> {
    const theirs = await shell(script, event, ...words);
    const mine = await ours(script, event, ...words);
    assert.deepEqual(mine, theirs, `${script} ${event} ${words.join(' ')}`);
    return mine;
  }

  before(async () => {
    lab = await NetLab.create({ nodes: 1, client: false, label: 'h2bcp' });
    node = lab.nodes[0]!;
    box = new ScriptSandbox('cmp');
    copyFileSync('/etc/ctdb/functions', join(box.base, 'functions'));
    mkdirSync(join(box.dir, 'db/volatile'), { recursive: true });
    mkdirSync(join(box.dir, 'db/persistent'), { recursive: true });
    mkdirSync(join(box.dir, 'db/state'), { recursive: true });
    box.write(
      'ctdb.conf',
      `[database]\n\tvolatile database directory = ${box.dir}/db/volatile\n\tpersistent database directory = ${box.dir}/db/persistent\n\tstate database directory = ${box.dir}/db/state\n`,
    );
  });

  after(async () => {
    for (const s of servers.values()) await s.stop();
    await lab?.destroy();
    box?.cleanup();
  });

  test('10.interface init without public_addresses', async () => {
    const r = await same('10.interface', 'init');
    assert.deepEqual(r.lines, ['No public addresses file found']);
  });

  test('10.interface takeip, a second takeip, updateip, releaseip of a missing address', async () => {
    box.write('public_addresses', '10.78.0.150/24 eth1,eth0\n');
    // takeip on each side in turn, releasing in between, so both start from the same state.
    for (const run of [shell, ours]) {
      const r = await run('10.interface', 'takeip', 'eth1', '10.78.0.150', '24');
      assert.equal(r.status, 0, r.lines.join('\n'));
      assert.match(await node.check(['ip', '-br', 'addr', 'show', 'eth1']), /10\.78\.0\.150\/24/);
      assert.equal((await run('10.interface', 'releaseip', 'eth1', '10.78.0.150', '24')).status, 0);
      assert.doesNotMatch(
        await node.check(['ip', '-br', 'addr', 'show', 'eth1']),
        /10\.78\.0\.150/,
      );
    }
    await node.check(['ip', 'addr', 'add', '10.78.0.150/24', 'dev', 'eth1']);
    const dup = await same('10.interface', 'takeip', 'eth1', '10.78.0.150', '24');
    assert.equal(dup.status, 1);
    assert.ok(dup.lines.includes('Failed to add 10.78.0.150/24 on dev eth1'), dup.lines.join('\n'));
    await node.check(['ip', 'addr', 'del', '10.78.0.150/24', 'dev', 'eth1']);
    await node.check(['ip', 'addr', 'add', '10.78.0.150/24', 'dev', 'eth0']);
    const redundant = await same('10.interface', 'updateip', 'eth1', 'eth0', '10.78.0.150', '24');
    assert.equal(redundant.status, 0);
    await node.check(['ip', 'addr', 'del', '10.78.0.150/24', 'dev', 'eth0']);
    const missing = await same('10.interface', 'releaseip', 'eth1', '10.78.0.150', '24');
    assert.equal(missing.status, 1);
    const badArgs = await same('10.interface', 'takeip', 'eth1', '10.78.0.150');
    assert.equal(badArgs.status, 1);
  });

  test('10.interface monitor with and without carrier', async () => {
    box.write('public_addresses', '10.78.0.151/24 eth1\n');
    assert.equal((await same('10.interface', 'monitor')).status, 0);
    await lab.setLink(node, 'public', false);
    try {
      const down = await same('10.interface', 'monitor');
      assert.equal(down.status, 1);
    } finally {
      await lab.setLink(node, 'public', true);
    }
  });

  test('05.system filesystem and memory thresholds', async () => {
    const fs = box.dir;
    for (const [fsOpt, memOpt] of [
      [`${fs}:1`, '100'],
      [`${fs}:1:2`, '100'],
      [`${fs}:100 /nonexistent/x:90 ${fs}:zz`, '100'],
      [`${fs}:100`, ''],
    ] as const) {
      box.write(
        'script.options',
        `CTDB_MONITOR_FILESYSTEM_USAGE="${fsOpt}"\nCTDB_MONITOR_MEMORY_USAGE="${memOpt}"\n`,
      );
      // Each side starts without a cached figure, so both print what is new to them.
      box.removeState('service/system-monitoring');
      const theirs = await shell('05.system', 'monitor');
      box.removeState('service/system-monitoring');
      const mine = await ours('05.system', 'monitor');
      assert.deepEqual(mine, theirs, `thresholds ${fsOpt} / ${memOpt}`);
    }
  });

  test('11.routing installs the same routes', async () => {
    box.write(
      'static-routes',
      'eth1 192.168.80.0/24 10.78.0.254\neth1 192.168.81.0/24 10.78.0.254\n',
    );
    await node.check(['ip', 'addr', 'add', '10.78.0.9/24', 'dev', 'eth1']);
    const show = async (): Promise<string> => node.check(['ip', 'route', 'show']);
    await same('11.routing', 'ipreallocated');
    const theirs = await show();
    await node.check(['ip', 'route', 'del', '192.168.80.0/24']);
    await node.check(['ip', 'route', 'del', '192.168.81.0/24']);
    assert.equal((await ours('11.routing', 'ipreallocated')).status, 0);
    assert.equal(await show(), theirs);
  });

  test('01.reclock creates the lock directory', async () => {
    box.write('ctdb.conf', `[cluster]\n\trecovery lock = ${box.dir}/lockdir/reclock\n`);
    await same('01.reclock', 'init');
    assert.ok(existsSync(join(box.dir, 'lockdir')));
  });
});
