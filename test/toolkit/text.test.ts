// Pure parts of the toolkit: address arithmetic, file and output parsers, error typing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  broadcastOf,
  bufferToIp,
  canonicalIp,
  ipToBuffer,
  networkOf,
  parsePrefix,
  prefixContains,
} from '../../lib/net/ip.js';
import { parseBondStatus } from '../../lib/net/bonding.js';
import { parsePublicAddresses } from '../../lib/ctdb/public-addresses.js';
import { parseStaticRoutes } from '../../lib/ctdb/static-routes.js';
import { parseMachineOutput } from '../../lib/ctdb/cli.js';
import { memoryUsagePercent, parseMemInfo } from '../../lib/system/meminfo.js';
import {
  ConfigFileError,
  CtdbOutputError,
  NetlinkError,
  strerror,
  toNetlinkError,
  ToolkitError,
} from '../../lib/errors/index.js';

describe('IP helpers', () => {
  test('IPv4 and IPv6 round-trip through bytes, IPv6 in RFC 5952 form', () => {
    assert.deepEqual([...ipToBuffer('10.1.2.3')], [10, 1, 2, 3]);
    assert.equal(bufferToIp(ipToBuffer('fd00:0:0:0:0:0:0:5')), 'fd00::5');
    assert.equal(canonicalIp('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonicalIp('::'), '::');
    assert.equal(canonicalIp('::1'), '::1');
    assert.equal(canonicalIp('::ffff:10.0.0.1'), '::ffff:a00:1');
    assert.equal(canonicalIp('fe80:0:0:0:1:2:3:4'), 'fe80::1:2:3:4');
  });

  test('broadcast as `brd +` computes it; none for /31, /32 and IPv6', () => {
    assert.equal(bufferToIp(broadcastOf('10.0.0.5', 24)!), '10.0.0.255');
    assert.equal(bufferToIp(broadcastOf('172.16.5.4', 20)!), '172.16.15.255');
    assert.equal(broadcastOf('10.0.0.5', 31), undefined);
    assert.equal(broadcastOf('10.0.0.5', 32), undefined);
    assert.equal(broadcastOf('fd00::1', 64), undefined);
  });

  test('networks and prefixes', () => {
    assert.equal(bufferToIp(networkOf('10.1.2.3', 16)), '10.1.0.0');
    assert.equal(bufferToIp(networkOf('fd00:1:2:3::9', 48)), 'fd00:1:2::');
    assert.ok(prefixContains('10.1.0.0', 16, '10.1.200.7'));
    assert.ok(!prefixContains('10.1.0.0', 16, '10.2.0.1'));
    assert.ok(!prefixContains('10.1.0.0', 16, 'fd00::1'));
    assert.deepEqual(parsePrefix('10.0.0.0/8'), { ip: '10.0.0.0', bits: 8, family: 4 });
    assert.deepEqual(parsePrefix('fd00::1'), { ip: 'fd00::1', bits: 128, family: 6 });
    assert.throws(() => parsePrefix('10.0.0.0/33'));
    assert.throws(() => parsePrefix('nonsense/8'));
  });
});

describe('public_addresses', () => {
  test('parses addresses, interface lists, comments and blank lines', () => {
    const list = parsePublicAddresses(
      '# public\n10.0.0.10/24 eth1\n\n  fd00::0:10/64   eth1,eth2  \n',
      '/etc/ctdb/public_addresses',
    );
    assert.deepEqual(list, [
      { ip: '10.0.0.10', bits: 24, ifaces: ['eth1'], line: 2 },
      { ip: 'fd00::10', bits: 64, ifaces: ['eth1', 'eth2'], line: 4 },
    ]);
  });

  for (const [text, reason] of [
    ['10.0.0.10 eth1', /'10\.0\.0\.10' is not ADDRESS\/MASKBITS/],
    ['10.0.0.300/24 eth1', /'10\.0\.0\.300' is not an IP address/],
    ['10.0.0.1/40 eth1', /mask bits 40 too large/],
    ['10.0.0.1/24', /no interface given/],
    ['10.0.0.1/24 eth1 extra', /unexpected text/],
  ] as const) {
    test(`rejects '${text}' naming file and line`, () => {
      try {
        parsePublicAddresses(`10.0.0.9/24 eth1\n${text}\n`, '/x/public_addresses');
        assert.fail('no error');
      } catch (err) {
        assert.ok(err instanceof ConfigFileError);
        assert.ok(err instanceof ToolkitError);
        assert.equal(err.file, '/x/public_addresses');
        assert.equal(err.line, 2);
        assert.match(err.message, /^\/x\/public_addresses:2: /);
        assert.match(err.message, reason);
      }
    });
  }

  test('rejects a duplicate address', () => {
    assert.throws(
      () => parsePublicAddresses('10.0.0.9/24 eth1\n10.0.0.9/24 eth2\n', 'pa'),
      /pa:2: 10\.0\.0\.9 is already listed at line 1/,
    );
  });
});

test('static-routes: good lines become routes, bad ones errors with file and line', () => {
  const r = parseStaticRoutes(
    'eth1 10.3.3.0/24 10.0.0.1\n# x\neth2 zzz 10.0.0.1\neth3 10.4.0.0/16 nope\n',
    'sr',
  );
  assert.deepEqual(r.routes, [
    { iface: 'eth1', destination: '10.3.3.0/24', gateway: '10.0.0.1', line: 1 },
  ]);
  assert.deepEqual(
    r.errors.map((e) => e.message),
    ["sr:3: 'zzz' is not NET/MASK", "sr:4: 'nope' is not a gateway address"],
  );
});

test('ctdb -X output: header dropped, fields split', () => {
  assert.deepEqual(parseMachineOutput('|Public IP|Node|\n|10.0.0.1|0|\n|10.0.0.2|-1|\n'), [
    ['10.0.0.1', '0'],
    ['10.0.0.2', '-1'],
  ]);
  assert.deepEqual(parseMachineOutput(''), []);
  assert.throws(() => parseMachineOutput('Public IP Node\n'), CtdbOutputError);
});

describe('bond status', () => {
  const bond = (mode: string, active: string, ...mii: string[]): string =>
    [
      `Bonding Mode: ${mode}`,
      active === '' ? '' : `Currently Active Slave: ${active}`,
      ...mii.map((m, i) =>
        i === 0 ? `MII Status: ${m}` : `\nSlave Interface: eth${i}\nMII Status: ${m}`,
      ),
    ].join('\n');

  test('active-backup with an active slave', () => {
    const s = parseBondStatus(bond('fault-tolerance (active-backup)', 'eth1', 'up', 'up', 'down'));
    assert.equal(s.activeSlave, 'eth1');
    assert.equal(s.miiUp, true);
    assert.deepEqual(s.slaveMiiUp, [true, false]);
    assert.equal(s.is8023ad, false);
  });

  test('802.3ad with every slave down', () => {
    const s = parseBondStatus(
      bond('IEEE 802.3ad Dynamic link aggregation', '', 'up', 'down', 'down'),
    );
    assert.equal(s.is8023ad, true);
    assert.equal(s.miiUp, true);
    assert.deepEqual(s.slaveMiiUp, [false, false]);
  });
});

test('memory usage as CTDB computes it', () => {
  const info = parseMemInfo(
    'MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 400 kB\nBuffers: 10 kB\nCached: 50 kB\nSwapTotal: 1000 kB\nSwapFree: 500 kB\n',
  );
  // (1000 - 400 + 1000 - 500) / 2000 = 55%
  assert.equal(memoryUsagePercent(info), 55);
  const old = parseMemInfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 50 kB\n');
  assert.equal(memoryUsagePercent(old), 84); // free = 160 → 84%
  assert.equal(memoryUsagePercent(parseMemInfo('')), 0);
});

test('netlink failures become NetlinkError with the errno name', () => {
  const e = toNetlinkError(
    new Error('Request rejected: EEXIST'),
    'add address',
    '10.0.0.1/24 dev eth1',
  );
  assert.ok(e instanceof NetlinkError);
  assert.equal(e.errno, 'EEXIST');
  assert.equal(e.operation, 'add address');
  assert.equal(e.object, '10.0.0.1/24 dev eth1');
  assert.equal(e.message, 'add address 10.0.0.1/24 dev eth1: EEXIST');
  assert.equal(
    toNetlinkError(Object.assign(new Error('x'), { code: 'EPERM' }), 'op', 'o').errno,
    'EPERM',
  );
  assert.equal(toNetlinkError('weird', 'op', 'o').errno, 'EUNKNOWN');
  assert.equal(strerror('EADDRNOTAVAIL'), 'Cannot assign requested address');
});
