// Leader and pool selection for NAT gateway and LVS groups, and the two input formats they
// read: the group nodes file and `ctdb -X nodestatus all`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GroupNodesFileSyntaxError,
  NodeStatusUnavailableError,
  parseGroupNodes,
  parseNodeStatusMachine,
  selectLvsLeader,
  selectLvsNodes,
  selectNatgwLeader,
  type NodeState,
} from '../../runtime/groups/index.js';

type Flag = 'disconnected' | 'unknown' | 'banned' | 'disabled' | 'unhealthy' | 'stopped';

function node(pnn: number, ...flags: Flag[]): NodeState {
  const has = (f: Flag): boolean => flags.includes(f);
  return {
    pnn,
    ip: `10.1.0.${pnn + 1}`,
    disconnected: has('disconnected'),
    unknown: has('unknown'),
    banned: has('banned'),
    disabled: has('disabled'),
    unhealthy: has('unhealthy'),
    stopped: has('stopped'),
    inactive: has('disconnected') || has('banned') || has('stopped'),
    partiallyOnline: false,
    thisNode: pnn === 0,
  };
}

const members = parseGroupNodes('10.1.0.1\n10.1.0.2 follower-only\n10.1.0.3\n', 'nodes');

describe('group nodes file', () => {
  test('reads addresses, follower-only, comments and blank lines', () => {
    const m = parseGroupNodes(
      '# natgw group\n\n  10.0.0.1\n10.0.0.2   follower-only\n  # indented comment\nfd00::3\n',
      '/etc/ctdb/natgw_nodes',
    );
    assert.deepEqual(
      m.map((x) => [x.ip, x.followerOnly, x.line]),
      [
        ['10.0.0.1', false, 3],
        ['10.0.0.2', true, 4],
        ['fd00::3', false, 6],
      ],
    );
  });

  test('an unknown option is an error naming the file and line', () => {
    assert.throws(
      () => parseGroupNodes('10.0.0.1\n10.0.0.2 slave-only\n', '/etc/ctdb/lvs_nodes'),
      (err: unknown) =>
        err instanceof GroupNodesFileSyntaxError &&
        err.line === 2 &&
        err.file === '/etc/ctdb/lvs_nodes' &&
        /Invalid options "slave-only" in "\/etc\/ctdb\/lvs_nodes" line 2/.test(err.message),
    );
    assert.throws(
      () => parseGroupNodes('10.0.0.1 follower-only extra\n', 'f'),
      GroupNodesFileSyntaxError,
    );
  });

  test('a word that is not an address is an error', () => {
    assert.throws(
      () => parseGroupNodes('node1\n', 'f'),
      /Invalid IP address "node1" in "f" line 1/,
    );
  });
});

describe('ctdb -X nodestatus', () => {
  test('parses the fields after the header', () => {
    const text =
      '|Node|IP|Disconnected|Unknown|Banned|Disabled|Unhealthy|Stopped|Inactive|PartiallyOnline|ThisNode|\n' +
      '|0|10.1.0.1|0|0|0|0|1|0|0|0|Y|\n' +
      '|1|10.1.0.2|1|0|0|0|0|0|1|0|N|\n';
    const s = parseNodeStatusMachine(text);
    assert.equal(s.length, 2);
    assert.deepEqual(
      [s[0]?.pnn, s[0]?.unhealthy, s[0]?.thisNode, s[1]?.disconnected, s[1]?.inactive],
      [0, true, true, true, true],
    );
  });

  test('a malformed row is an error, empty output is no nodes', () => {
    assert.throws(
      () => parseNodeStatusMachine('hdr\n|0|10.1.0.1|0|\n'),
      NodeStatusUnavailableError,
    );
    assert.deepEqual(parseNodeStatusMachine(''), []);
  });
});

describe('NAT gateway leader', () => {
  const pick = (...states: NodeState[]): number | undefined =>
    selectNatgwLeader(members, states)?.pnn;

  test('first healthy non-follower-only node in PNN order', () => {
    assert.equal(pick(node(0), node(1), node(2)), 0);
    assert.equal(pick(node(0, 'unhealthy'), node(1), node(2)), 2);
  });
  test('follower-only never leads, even when it is the only healthy member', () => {
    assert.equal(pick(node(0, 'unhealthy'), node(1), node(2, 'banned')), 0);
  });
  test('UNHEALTHY or BANNED will do when nothing is healthy', () => {
    assert.equal(pick(node(0, 'disconnected'), node(1), node(2, 'banned')), 2);
  });
  test('STOPPED will do as a last resort; DISABLED and DISCONNECTED never', () => {
    assert.equal(pick(node(0, 'disabled'), node(1), node(2, 'stopped')), 2);
    assert.equal(pick(node(0, 'disabled'), node(1), node(2, 'disconnected')), undefined);
  });
  test('nodes outside the group are ignored', () => {
    assert.equal(pick(node(0, 'disabled'), node(2, 'disabled'), node(3)), undefined);
  });
});

describe('LVS pool and leader', () => {
  const pool = (...states: NodeState[]): number[] =>
    selectLvsNodes(members, states).map((n) => n.pnn);
  const leader = (...states: NodeState[]): number | undefined =>
    selectLvsLeader(members, states)?.pnn;

  test('healthy members only, follower-only included in the pool', () => {
    assert.deepEqual(pool(node(0), node(1, 'unhealthy'), node(2), node(3)), [0, 2]);
    assert.equal(leader(node(0, 'unhealthy'), node(1), node(2)), 2);
  });
  test('no healthy member: unhealthy ones, never disabled or inactive', () => {
    assert.deepEqual(
      pool(node(0, 'unhealthy'), node(1, 'disabled'), node(2, 'unhealthy', 'stopped')),
      [0],
    );
  });
  test('the leader passes are evaluated over leader candidates only', () => {
    // Node 1 (follower-only) is healthy, so it fills the pool; the leader is chosen among 0 and 2.
    assert.deepEqual(pool(node(0, 'unhealthy'), node(1), node(2, 'banned')), [1]);
    assert.equal(leader(node(0, 'unhealthy'), node(1), node(2, 'banned')), 0);
  });
  test('nothing usable: empty pool, no leader', () => {
    assert.deepEqual(pool(node(0, 'disabled'), node(1, 'stopped'), node(2, 'banned')), []);
    assert.equal(leader(node(0, 'disabled'), node(1), node(2, 'banned')), undefined);
  });
});
