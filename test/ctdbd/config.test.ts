// ctdb.conf, nodes and ctdb.tunables parsing: good input gives typed values, bad input a
// ConfigError naming file, line and key; ctdbd refuses to start on a bad file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseCtdbConf } from '../../runtime/config/ctdb-conf.js';
import { ConfigErrors } from '../../runtime/config/errors.js';
import { parseNodesText } from '../../runtime/config/nodes-file.js';
import { parseTunablesText } from '../../runtime/config/tunables-file.js';
import { helperCommand } from '../../runtime/paths/index.js';
import { Tunables } from '../../runtime/tunables/store.js';
import { listedTunableNames, TUNABLES } from '../../runtime/tunables/table.js';

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigErrors, `expected ConfigErrors, got ${String(err)}`);
    return err.errors.map((e) => e.message);
  }
  assert.fail('expected a configuration error');
}

describe('ctdb.conf', () => {
  test('reads the 4.17 keys, with ; and # comments and tini spacing', () => {
    const c = parseCtdbConf(
      [
        '# comment',
        '[logging]',
        '  location = file:/var/log/ctdb.log',
        '  log level = info',
        '; another comment',
        '[ Cluster ]',
        '  node address = fd00::1',
        '  leader capability = no',
        '  leader timeout = 7',
        '  recovery lock = /shared/lock',
        '[legacy]',
        '  start as disabled = yes',
        '  lmaster capability = false',
      ].join('\n'),
      '/etc/ctdb/ctdb.conf',
    );
    assert.equal(c.logging.location, 'file:/var/log/ctdb.log');
    assert.equal(c.logging.logLevel, 'INFO');
    assert.equal(c.cluster.nodeAddress, 'fd00::1');
    assert.equal(c.cluster.leaderCapability, false);
    assert.equal(c.cluster.leaderTimeout, 7);
    assert.equal(c.cluster.clusterLock, '/shared/lock');
    assert.equal(c.legacy.startAsDisabled, true);
    assert.equal(c.legacy.lmasterCapability, false);
    assert.equal(c.failover.disabled, false);
  });

  test('an unknown section, an unknown key and a bad value name file, line and key', () => {
    const msgs = errorsOf(() =>
      parseCtdbConf(
        [
          '[cluster]',
          'leader timeout = 0',
          'lader capability = true',
          '[bogus]',
          'x = 1',
          '[failover]',
          'disabled = maybe',
        ].join('\n'),
        '/etc/ctdb/ctdb.conf',
      ),
    );
    assert.deepEqual(msgs, [
      '/etc/ctdb/ctdb.conf:4: [bogus]: unknown section',
      '/etc/ctdb/ctdb.conf:2: [cluster] leader timeout: invalid leader timeout "0" (a whole number of seconds > 0)',
      '/etc/ctdb/ctdb.conf:3: [cluster] lader capability: unknown option',
      '/etc/ctdb/ctdb.conf:7: [failover] disabled: invalid boolean "maybe" (use true/false or yes/no)',
    ]);
  });

  test('empty values and options outside a section are errors', () => {
    assert.deepEqual(
      errorsOf(() => parseCtdbConf('[logging]\nlog level =\n', 'f')),
      ['f:2: [logging] log level: empty value'],
    );
    assert.deepEqual(
      errorsOf(() => parseCtdbConf('log level = INFO\n', 'f')),
      ['f:1: option "log level" outside of any section'],
    );
  });
});

describe('nodes file', () => {
  test('comments are deleted nodes keeping their slot; blank lines do not count; IPv6', () => {
    const nodes = parseNodesText('10.0.0.1\n\n# 10.0.0.2\n  fd00::3  \n\n', 'nodes');
    assert.deepEqual(nodes, [
      { pnn: 0, address: '10.0.0.1', deleted: false },
      { pnn: 1, address: '0.0.0.0', deleted: true },
      { pnn: 2, address: 'fd00::3', deleted: false },
    ]);
  });

  test('a bad address names its line', () => {
    assert.deepEqual(
      errorsOf(() => parseNodesText('10.0.0.1\n10.0.0.300\n', '/x/nodes')),
      ['/x/nodes:2: invalid node address "10.0.0.300"'],
    );
  });
});

describe('tunables', () => {
  test('the table lists 49 tunables in listvars order with CTDB defaults', () => {
    const names = listedTunableNames();
    assert.equal(names.length, 49);
    assert.equal(names[0], 'SeqnumInterval');
    assert.equal(names.at(-1), 'AllowMixedVersions');
    assert.equal(TUNABLES.find((t) => t.name === 'RecoverTimeout')?.defaultValue, 30);
  });

  test('get/set are case-insensitive; obsolete ones say so; GET_ALL_TUNABLES is 62 u32s', () => {
    const t = new Tunables();
    assert.equal(t.set('keepaliveinterval', 0x10), 'ok');
    assert.equal(t.get('KeepaliveInterval'), 16);
    assert.equal(t.set('VacuumLimit', 1), 'obsolete');
    assert.equal(t.set('NoSuchThing', 1), 'unknown');
    const wire = t.toWire();
    assert.equal(wire.length, 62 * 4);
    // KeepaliveInterval is the fifth field of struct ctdb_tunable_list.
    assert.equal(Buffer.from(wire).readUInt32LE(4 * 4), 16);
  });

  test('the tunables file reports every bad line', () => {
    const good = parseTunablesText(
      '# x\nMonitorInterval=0x20\nrecovertimeout = 010\n',
      'ctdb.tunables',
    );
    assert.deepEqual(
      good.map((g) => [g.name, g.value]),
      [
        ['MonitorInterval', 32],
        ['RecoverTimeout', 8],
      ],
    );
    assert.deepEqual(
      errorsOf(() =>
        parseTunablesText('Foo=1\nVacuumLimit=2\nMonitorInterval=\nKeepaliveLimit=5x\n', 't'),
      ),
      [
        't:1: Foo: unknown tunable',
        't:2: VacuumLimit: obsolete tunable',
        't:3: MonitorInterval: empty value',
        't:4: KeepaliveLimit: invalid value "5x"',
      ],
    );
  });
});

describe('ctdbd start-up with bad configuration', () => {
  const base = mkdtempSync(join(tmpdir(), 'ctdbd-conf-'));
  after(() => rmSync(base, { recursive: true, force: true }));
  /** Runs ctdbd on `base` until it exits (start-up fails before it would serve). */
  const startCtdbd = () => {
    const [cmd, ...args] = helperCommand('ctdbd');
    return spawnSync(cmd!, [...args, '-i'], {
      env: { ...process.env, CTDB_TEST_MODE: 'yes', CTDB_BASE: base },
      encoding: 'utf8',
      input: '',
      timeout: 30_000,
    });
  };

  test('exits 1 with the file, line and key in the message', () => {
    writeFileSync(join(base, 'nodes'), '127.0.0.1\n');
    writeFileSync(join(base, 'ctdb.conf'), '[cluster]\n  leader timout = 5\n');
    const r = startCtdbd();
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(`${join(base, 'ctdb.conf')}:2: \\[cluster\\] leader timout: unknown option`),
    );
  });

  test('an unknown tunable in ctdb.tunables stops start-up too', () => {
    writeFileSync(join(base, 'ctdb.conf'), '');
    writeFileSync(join(base, 'ctdb.tunables'), 'KeepaliveInterval=1\nBogusTunable=3\n');
    const r = startCtdbd();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /ctdb\.tunables:2: BogusTunable: unknown tunable/);
  });

  test('a cluster lock helper command that is empty stops start-up, naming the file', () => {
    rmSync(join(base, 'ctdb.tunables'), { force: true });
    writeFileSync(join(base, 'ctdb.conf'), '[cluster]\n  cluster lock = !\n');
    const r = startCtdbd();
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `${join(base, 'ctdb.conf')}: \\[cluster\\] cluster lock = !: the helper command is empty`,
      ),
    );
  });
});
