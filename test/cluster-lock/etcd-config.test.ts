// The ctdb_etcd_lock configuration file and command line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HelperConfigError, HelperUsageError } from '../../runtime/cluster-lock/errors.js';
import {
  ETCD_DEFAULTS,
  etcdEndpoints,
  parseEtcdConfig,
} from '../../runtime/cluster-lock/helpers/etcd-config.js';
import { lockKey, parseEtcdHelperArgs } from '../../runtime/cluster-lock/helpers/etcd-helper.js';

test('defaults follow ctdb-etcd(7); the man page example with comments parses', () => {
  const c = parseEtcdConfig(
    'port      = 2379   # connecting port for the etcd cluster\nlock_ttl  = 9      # seconds for TTL\n' +
      'refresh   = 2      # seconds between attempts to maintain lock\nlocks_dir = _ctdb  # where\n\n# comment\n',
    'etcd',
  );
  assert.deepEqual(c, ETCD_DEFAULTS);
  assert.equal(lockKey(c, 'CLUSTER'), '/_locks/_ctdb/CLUSTER');
  assert.deepEqual(etcdEndpoints(c), ['http://127.0.0.1:2379']);
});

test('lock_refresh (what the old helper read) and refresh are the same key', () => {
  assert.equal(parseEtcdConfig('lock_refresh = 1.5\n', 'f').refresh, 1.5);
  assert.equal(parseEtcdConfig('refresh = 3\nlock_ttl=10', 'f').refresh, 3);
});

test('hosts, host, port and protocol make the endpoints', () => {
  assert.deepEqual(
    etcdEndpoints(
      parseEtcdConfig('hosts = 10.0.0.1, 10.0.0.2:2400, https://e3:2379\nport=2390', 'f'),
    ),
    ['http://10.0.0.1:2390', 'http://10.0.0.2:2400', 'https://e3:2379'],
  );
  assert.deepEqual(etcdEndpoints(parseEtcdConfig('host = fd00::1\nprotocol = https', 'f')), [
    'https://[fd00::1]:2379',
  ]);
});

test('bad lines name the file and line', () => {
  const cases: [string, RegExp][] = [
    ['port = 2379\nthis is not a setting\n', /^\/etc\/ctdb\/etcd:2: expected 'key = value'/],
    ['\nlock_ttl = nine\n', /^\/etc\/ctdb\/etcd:2: lock_ttl: 'nine' is not a whole number/],
    ['colour = blue\n', /^\/etc\/ctdb\/etcd:1: unknown key 'colour'/],
    ['port = 99999', /:1: port: 99999 is out of range/],
    ['protocol = ftp', /:1: protocol: must be http or https/],
    [
      'lock_ttl = 2\nrefresh = 2',
      /^\/etc\/ctdb\/etcd: refresh \(2\) must be shorter than lock_ttl \(2\)/,
    ],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseEtcdConfig(text, '/etc/ctdb/etcd'),
      (err: unknown) => {
        assert.ok(err instanceof HelperConfigError);
        assert.match(err.message, re);
        return true;
      },
    );
  }
});

test('command line: -c, -v…, default file under CTDB_BASE', () => {
  assert.deepEqual(parseEtcdHelperArgs(['-c', '/x/etcd', '-vv', '-v'], {}), {
    configFile: '/x/etcd',
    configGiven: true,
    verbosity: 3,
  });
  assert.deepEqual(parseEtcdHelperArgs([], { CTDB_BASE: '/base' }), {
    configFile: '/base/etcd',
    configGiven: false,
    verbosity: 0,
  });
  assert.throws(() => parseEtcdHelperArgs(['-x'], {}), HelperUsageError);
  assert.throws(() => parseEtcdHelperArgs(['-c'], {}), HelperUsageError);
});
