// Connection strings, addresses, the tickle list and the kill summary: pure functions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp, formatIp, parseIp } from '../../lib/tcp/address.js';
import {
  ConnectionParseError,
  formatConnection,
  formatEndpoint,
  formatKillReport,
  parseConnection,
  parseConnectionList,
  parseEndpoint,
  reverseConnection,
  TickleList,
  type Connection,
} from '../../lib/tcp/index.js';
import { decodeInetDiagMsg } from '../../lib/tcp/list.js';
import { ANNOUNCE_COUNT, ANNOUNCE_INTERVAL_MS } from '../../lib/neighbours/index.js';

describe('addresses', () => {
  test('IPv6 is printed as inet_ntop prints it', () => {
    const cases: [string, string][] = [
      ['fd00:0:0:0:0:0:0:1', 'fd00::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::1', '::1'],
      ['2001:DB8::A', '2001:db8::a'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
      ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ];
    for (const [input, want] of cases) assert.equal(canonicalIp(input), want, input);
  });
  test('IPv4-mapped IPv6 folds to IPv4, as CTDB parses it', () => {
    assert.equal(canonicalIp('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(parseIp('[::ffff:10.1.2.3]')?.family, 4);
  });
  test('garbage is refused', () => {
    for (const bad of ['', '10.1.2', '10.1.2.256', 'fe80::1%eth0', 'x::1', '1.2.3.4.5']) {
      assert.equal(parseIp(bad), undefined, bad);
    }
  });
  test('bytes round-trip', () => {
    assert.equal(formatIp(Buffer.from([10, 0, 0, 1])), '10.0.0.1');
    assert.throws(() => formatIp(Buffer.alloc(5)), RangeError);
  });
});

describe('connection strings', () => {
  test('IP:PORT and [IPv6]:PORT, and bare IPv6 split at the last colon', () => {
    assert.deepEqual(parseEndpoint('10.0.0.1:445'), { ip: '10.0.0.1', port: 445 });
    assert.deepEqual(parseEndpoint('[fd00::1]:445'), { ip: 'fd00::1', port: 445 });
    assert.deepEqual(parseEndpoint('fd00::1:445'), { ip: 'fd00::1', port: 445 });
    assert.equal(formatEndpoint({ ip: 'fd00::1', port: 2049 }), '[fd00::1]:2049');
    assert.equal(formatEndpoint({ ip: '10.0.0.1', port: 0 }), '10.0.0.1:0');
  });
  test('bad endpoints name the text', () => {
    for (const bad of ['10.0.0.1', '10.0.0.1:', '10.0.0.1:65536', '10.0.0.1:x', 'host:80']) {
      assert.throws(
        () => parseEndpoint(bad),
        (e: unknown) => e instanceof ConnectionParseError && e.text === bad,
        bad,
      );
    }
  });
  test('SRC DST pairs, one family, round-trip', () => {
    const c = parseConnection('  10.0.0.9:40000\t10.0.0.1:445 ');
    assert.equal(formatConnection(c), '10.0.0.9:40000 10.0.0.1:445');
    assert.equal(formatConnection(reverseConnection(c)), '10.0.0.1:445 10.0.0.9:40000');
    assert.throws(() => parseConnection('10.0.0.9:1 [fd00::1]:2'), ConnectionParseError);
    assert.throws(() => parseConnection('10.0.0.9:1'), ConnectionParseError);
    assert.throws(() => parseConnection('10.0.0.9:1 10.0.0.1:2 x'), ConnectionParseError);
  });
  test('a list skips blank and comment lines and names a bad line', () => {
    const list = parseConnectionList('\n# x\n10.0.0.9:1 10.0.0.1:2\n[fd00::9]:1 [fd00::1]:2\n');
    assert.equal(list.length, 2);
    assert.throws(
      () => parseConnectionList('10.0.0.9:1 10.0.0.1:2\nnonsense\n'),
      (e: unknown) => e instanceof ConnectionParseError && /line 2/.test(e.message),
    );
  });
});

describe('tickle list', () => {
  const c = (client: string, server: string): Connection => parseConnection(`${client} ${server}`);
  test('add, remove and list per public address', () => {
    const t = new TickleList();
    assert.equal(t.add(c('10.0.0.9:1000', '10.0.0.1:445')), true);
    assert.equal(t.add(c('10.0.0.9:1000', '10.0.0.1:445')), false);
    assert.equal(t.add(c('10.0.0.8:1001', '10.0.0.1:2049')), true);
    assert.equal(t.add(c('[fd00::9]:1000', '[fd00:0::1]:445')), true);
    assert.deepEqual(t.ips().sort(), ['10.0.0.1', 'fd00::1']);
    assert.equal(t.list('10.0.0.1').length, 2);
    assert.equal(t.list('10.0.0.1', { port: 445 }).length, 1);
    assert.equal(t.list('fd00:0:0::1').length, 1);
    assert.equal(t.remove(c('10.0.0.9:1000', '10.0.0.1:445')), true);
    assert.equal(t.remove(c('10.0.0.9:1000', '10.0.0.1:445')), false);
    assert.equal(t.size, 2);
  });
  test('replace sets a whole list and refuses entries of another address', () => {
    const t = new TickleList();
    t.replace('10.0.0.1', [c('10.0.0.9:1', '10.0.0.1:2'), c('10.0.0.9:3', '10.0.0.1:2')]);
    assert.equal(t.list('10.0.0.1').length, 2);
    assert.throws(() => {
      t.replace('10.0.0.1', [c('10.0.0.9:1', '10.0.0.2:2')]);
    }, /10\.0\.0\.2/);
    t.replace('10.0.0.1', []);
    assert.deepEqual(t.ips(), []);
  });
});

describe('kill summary', () => {
  test("CTDB's lines", () => {
    const remaining = [parseConnection('10.0.0.1:445 10.0.0.9:40000')];
    assert.deepEqual(formatKillReport('10.0.0.1', { total: 0, killed: 0, remaining: [] }), []);
    assert.deepEqual(formatKillReport('10.0.0.1', { total: 3, killed: 2, remaining }), [
      'Killed 2/3 TCP connections to released IP 10.0.0.1',
      'Remaining connections:',
      '  10.0.0.1:445 10.0.0.9:40000',
    ]);
    assert.deepEqual(
      formatKillReport('10.0.0.1', { total: 1, killed: 0, remaining, error: new Error('x') }),
      ['Failed to kill TCP connections'],
    );
    // CTDB 4.18+ with CTDB_KILLTCP_USE_SS_KILL: the ss -K summary is printed even when empty.
    assert.deepEqual(
      formatKillReport('10.0.0.1', { total: 0, killed: 0, remaining: [], method: 'ss -K' }),
      ['Killed 0/0 TCP connections to released IP 10.0.0.1, using ss -K'],
    );
    assert.deepEqual(
      formatKillReport('10.0.0.1', { total: 2, killed: 2, remaining: [], method: 'ctdb_killtcp' }),
      ['Killed 2/2 TCP connections to released IP 10.0.0.1, using ctdb_killtcp'],
    );
  });
});

describe('sock_diag decoding', () => {
  test('an inet_diag_msg gives local and peer endpoints; mapped IPv4 folds to IPv4', () => {
    const m = Buffer.alloc(72);
    m.writeUInt8(10, 0); // AF_INET6
    m.writeUInt16BE(445, 4);
    m.writeUInt16BE(40000, 6);
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]).copy(m, 8);
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9]).copy(m, 24);
    assert.deepEqual(decodeInetDiagMsg(m), {
      local: { ip: '10.0.0.1', port: 445 },
      peer: { ip: '10.0.0.9', port: 40000 },
    });
    assert.equal(decodeInetDiagMsg(m.subarray(0, 40)), undefined);
  });
});

test("the announcement defaults are CTDB's (3 rounds, 1.1 s apart)", () => {
  assert.equal(ANNOUNCE_COUNT, 3);
  assert.equal(ANNOUNCE_INTERVAL_MS, 1100);
});
