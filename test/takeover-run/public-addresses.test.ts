// public_addresses parsing and the interface/VNN model.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NodeFlag, Runstate } from '../../runtime/protocol/index.js';
import { PublicAddressesError } from '../../runtime/takeover/errors.js';
import {
  PublicAddressTable,
  loadPublicAddresses,
  parsePublicAddresses,
} from '../../runtime/takeover/public-addresses.js';

const RUNNING = { runstate: Runstate.RUNNING, flags: 0 };

describe('parsePublicAddresses', () => {
  it('reads IPv4 and IPv6 with masks, iface lists, leading spaces, comments and blanks', () => {
    const entries = parsePublicAddresses(
      [
        '# a comment',
        '',
        '   10.0.0.1/24 eth0',
        '10.0.0.2/24\teth0,eth1',
        'fd00::0001/64 eth1',
        '   ',
      ].join('\n'),
      'pa',
    );
    assert.deepEqual(
      entries.map((e) => [e.address.text, e.maskBits, e.ifaces, e.line]),
      [
        ['10.0.0.1', 24, ['eth0'], 3],
        ['10.0.0.2', 24, ['eth0', 'eth1'], 4],
        ['fd00::1', 64, ['eth1'], 5],
      ],
    );
  });

  const bad: [string, RegExp][] = [
    ['10.0.0.1/24', /line 2: missing interface/],
    ['10.0.0.300/24 eth0', /line 2: bad address/],
    ['10.0.0.1 eth0', /line 2: missing \/MASK/],
    ['10.0.0.1/33 eth0', /line 2: bad mask/],
    ['fd00::1/129 eth0', /line 2: bad mask/],
    ['10.0.0.1/24 eth0 junk', /line 2: unexpected text 'junk'/],
    ['10.0.0.1/24 eth0,', /line 2: bad interface name ''/],
    ['10.0.0.9/24 eth0\n10.0.0.9/24 eth1', /line 3: duplicate address 10.0.0.9/],
  ];
  for (const [line, re] of bad) {
    it(`rejects '${line.split('\n').at(-1)}' naming file and line`, () => {
      assert.throws(
        () => parsePublicAddresses(`# ok\n${line}\n`, '/etc/ctdb/public_addresses'),
        (e: unknown) =>
          e instanceof PublicAddressesError &&
          e.file === '/etc/ctdb/public_addresses' &&
          re.test(e.message),
      );
    });
  }

  it('treats a missing file as no public addresses, and reads a real one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'h9-pa-'));
    after(() => rm(dir, { recursive: true, force: true }));
    assert.deepEqual(await loadPublicAddresses(join(dir, 'absent')), []);
    await writeFile(join(dir, 'public_addresses'), '10.1.1.1/16 lo\n');
    const got = await loadPublicAddresses(join(dir, 'public_addresses'));
    assert.equal(got[0]?.address.text, '10.1.1.1');
  });
});

describe('PublicAddressTable', () => {
  const build = (): PublicAddressTable =>
    new PublicAddressTable(
      parsePublicAddresses('10.0.0.1/24 eth0,eth1\n10.0.0.2/24 eth1\n10.0.0.3/24 eth2\n', 'pa'),
    );

  it('prepends VNNs (reverse file order), interfaces start up with no references', () => {
    const t = build();
    assert.deepEqual(
      t.vnns.map((v) => v.address.text),
      ['10.0.0.3', '10.0.0.2', '10.0.0.1'],
    );
    assert.deepEqual(
      t.ifaces.map((i) => [i.name, i.linkUp, i.references]),
      [
        ['eth2', true, 0],
        ['eth1', true, 0],
        ['eth0', true, 0],
      ],
    );
    assert.ok(t.vnns.every((v) => v.pnn === -1 && v.iface === undefined));
  });

  it('best interface: link up, fewest references, first configured on ties', () => {
    const t = build();
    const v1 = t.find('10.0.0.1')!;
    assert.equal(t.bestIface(v1)?.name, 'eth0');
    t.assign(t.find('10.0.0.2')!, t.iface('eth1')!);
    t.assign(v1, t.iface('eth0')!);
    assert.equal(t.iface('eth0')!.references, 1);
    t.setLink('eth0', false);
    assert.equal(t.bestIface(v1)?.name, 'eth1');
    t.setLink('eth1', false);
    assert.equal(t.bestIface(v1), undefined);
    t.unassign(v1);
    assert.equal(t.iface('eth0')!.references, 0);
  });

  it('availability needs RUNNING, no INACTIVE/DISABLED flags, no delete_pending, a link up', () => {
    const t = build();
    const v = t.find('10.0.0.3')!;
    assert.equal(t.isAvailable(v, RUNNING), true);
    assert.equal(t.isAvailable(v, { runstate: Runstate.STARTUP, flags: 0 }), false);
    assert.equal(t.isAvailable(v, { ...RUNNING, flags: NodeFlag.BANNED }), false);
    assert.equal(t.isAvailable(v, { ...RUNNING, flags: NodeFlag.UNHEALTHY }), false);
    assert.equal(t.isAvailable(v, { ...RUNNING, flags: NodeFlag.PERMANENTLY_DISABLED }), false);
    assert.equal(t.isAvailable(v, { ...RUNNING, flags: NodeFlag.STOPPED }), false);
    t.setLink('eth2', false);
    assert.equal(t.isAvailable(v, RUNNING), false);
    t.setLink('eth2', true);
    v.deletePending = true;
    assert.equal(t.isAvailable(v, RUNNING), false);
  });

  it('refuses duplicate adds and unknown interfaces for link changes', () => {
    const t = build();
    assert.throws(
      () => t.add({ address: t.find('10.0.0.1')!.address, maskBits: 24, ifaces: ['eth0'] }),
      /already configured/,
    );
    assert.throws(() => t.setLink('nope', true), /interface 'nope' not found/);
    assert.equal(t.setLink('eth0', true), false);
    assert.equal(t.setLink('eth0', false), true);
  });
});
