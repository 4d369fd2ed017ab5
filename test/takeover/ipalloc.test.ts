// The allocator's public face: node eligibility by flags and runstate, the merged list and
// its trust rule, explicit available lists, the extra facts in the result, input errors.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canHostIps,
  DebugLevel,
  ipalloc,
  IpallocInputError,
  nodeCanHostIps,
  type IpallocInput,
  type IpallocNode,
} from '../../runtime/takeover/ipalloc/index.js';

const LCP2 = { algorithm: 2, noIpFailback: false, noIpTakeover: false } as const;

function owners(input: IpallocInput): [string, number][] {
  return ipalloc(input).ips.map((ip) => [ip.address.text, ip.pnn]);
}

test('eligibility: INACTIVE and DISABLED bits and any runstate but RUNNING forbid hosting', () => {
  const table: [number, boolean][] = [
    [0x00, true],
    [0x01, false], // DISCONNECTED
    [0x02, false], // UNHEALTHY
    [0x04, false], // PERMANENTLY_DISABLED
    [0x08, false], // BANNED
    [0x10, false], // DELETED
    [0x20, false], // STOPPED
    [0x40, true], // UNKNOWN is a tool-only flag, not part of either mask
  ];
  for (const [flags, ok] of table) assert.equal(nodeCanHostIps(flags), ok, `flags ${flags}`);
  for (let runstate = 0; runstate <= 6; runstate++) {
    assert.equal(nodeCanHostIps(0, runstate), runstate === 5, `runstate ${runstate}`);
  }
});

test('every flag that forbids hosting moves the addresses to the healthy node', () => {
  for (const flags of [0x01, 0x02, 0x04, 0x08, 0x10, 0x20]) {
    // Node 1 hosts both addresses and says so; node 0 knows them as unassigned.
    const nodes: IpallocNode[] = [0, 1].map((pnn) => ({
      flags: pnn === 1 ? flags : 0,
      known: ['10.0.0.1', '10.0.0.2'].map((address) => ({ address, pnn: pnn === 1 ? 1 : -1 })),
    }));
    assert.deepEqual(
      owners({ nodes, tunables: LCP2 }),
      [
        ['10.0.0.2', 0],
        ['10.0.0.1', 0],
      ],
      `flags ${flags}`,
    );
  }
});

test('merged list: a node is trusted only about itself; a later silence keeps the owner', () => {
  // Node 0 claims .1 is on node 1 and .2 on itself; node 1 says .1 is unassigned and .2 on
  // node 0. Nobody who could know claims .1, so it is unassigned before allocation; node 1
  // (owning nothing) then gets it, as the cheaper place.
  const result = ipalloc(
    {
      nodes: [
        {
          flags: 0,
          known: [
            { address: '10.0.0.1', pnn: 1 },
            { address: '10.0.0.2', pnn: 0 },
          ],
        },
        {
          flags: 0,
          known: [
            { address: '10.0.0.1', pnn: -1 },
            { address: '10.0.0.2', pnn: 0 },
          ],
        },
      ],
      tunables: LCP2,
    },
    { logLevel: DebugLevel.INFO },
  );
  assert.deepEqual(
    result.ips.map((ip) => [ip.address.text, ip.pnn]),
    [
      ['10.0.0.2', 0],
      ['10.0.0.1', 1],
    ],
  );
  assert.deepEqual(
    result.log.map((l) => l.text),
    [' 10.0.0.1 -> 1 [+0]'],
  );
});

test('result: knownOn and availableOn list the nodes per address', () => {
  const result = ipalloc({
    nodes: [
      { flags: 0, known: [{ address: '10.0.0.1', pnn: 0 }] },
      { flags: 0x02, known: [{ address: '10.0.0.1', pnn: -1 }] },
      {
        flags: 0,
        known: [
          { address: '10.0.0.1', pnn: -1 },
          { address: '10.0.0.2', pnn: -1 },
        ],
        available: ['10.0.0.2'], // its interface for .1 is down
      },
    ],
    tunables: LCP2,
  });
  assert.deepEqual(
    result.ips.map((ip) => ({
      ip: ip.address.text,
      pnn: ip.pnn,
      known: ip.knownOn,
      available: ip.availableOn,
    })),
    [
      { ip: '10.0.0.2', pnn: 2, known: [2], available: [2] },
      { ip: '10.0.0.1', pnn: 0, known: [0, 1, 2], available: [0] },
    ],
  );
});

test('an address a node lists as available but not as known is ignored for it', () => {
  assert.deepEqual(
    owners({
      nodes: [{ flags: 0, known: [], available: ['10.0.0.9'] }],
      tunables: LCP2,
    }),
    [],
  );
});

test('the same address written two ways is one address', () => {
  const result = ipalloc({
    nodes: [
      { flags: 0, known: [{ address: 'fd00:0:0::1', pnn: 0 }] },
      { flags: 0, known: [{ address: 'FD00::0001', pnn: -1 }] },
    ],
    tunables: LCP2,
  });
  assert.deepEqual(
    result.ips.map((ip) => [ip.address.text, ip.pnn, ip.knownOn]),
    [['fd00::1', 0, [0, 1]]],
  );
});

test('log lines are kept at NOTICE and above unless asked', () => {
  const input: IpallocInput = {
    nodes: [{ flags: 0, runstate: 4, known: [{ address: '10.0.0.1', pnn: -1 }] }],
    tunables: { algorithm: 0, noIpFailback: false, noIpTakeover: false },
  };
  assert.deepEqual(
    ipalloc(input).log.map((l) => [l.level, l.text]),
    [
      [3, 'Deterministic IPs enabled. Resetting all ip allocations'],
      [1, "Could not find node to take over public address '10.0.0.1'"],
      [1, 'Failed to find node to cover ip 10.0.0.1'],
    ],
  );
  assert.deepEqual(ipalloc(input, { logLevel: DebugLevel.ERROR }).log, []);
  assert.equal(
    ipalloc(input, { logLevel: DebugLevel.DEBUG }).log.some((l) =>
      l.text.startsWith('Unassign IP'),
    ),
    true,
  );
});

test('bad input names the field', () => {
  const bad = (input: IpallocInput, field: string): void => {
    assert.throws(
      () => ipalloc(input),
      (err: unknown) => err instanceof IpallocInputError && err.field === field,
      field,
    );
  };
  bad(
    { nodes: [{ flags: 0, known: [{ address: '10.0.0', pnn: 0 }] }], tunables: LCP2 },
    'nodes[0].known[0].address',
  );
  bad(
    { nodes: [{ flags: 0, known: [{ address: '10.0.0.1', pnn: -2 }] }], tunables: LCP2 },
    'nodes[0].known[0].pnn',
  );
  bad({ nodes: [{ flags: 0.5, known: [] }], tunables: LCP2 }, 'nodes[0].flags');
  bad(
    { nodes: [{ flags: 0, known: [], available: ['x'] }], tunables: LCP2 },
    'nodes[0].available[0]',
  );
  bad(
    { nodes: [], tunables: { algorithm: 7 as 2, noIpFailback: false, noIpTakeover: false } },
    'tunables.algorithm',
  );
});

test('a force-rebalance PNN outside the nodemap is logged as an error and skipped', () => {
  const result = ipalloc(
    {
      nodes: [{ flags: 0, known: [{ address: '10.0.0.1', pnn: 0 }] }],
      tunables: LCP2,
      forceRebalance: [3],
    },
    { logLevel: DebugLevel.ERROR },
  );
  assert.deepEqual(
    result.log.map((l) => [l.level, l.text]),
    [[0, 'unknown node 3']],
  );
});

test('canHostIps: false only with no addresses, or none hosted and none hostable', () => {
  const tunables = LCP2;
  assert.equal(canHostIps({ nodes: [{ flags: 0, known: [] }], tunables }), false);
  const unhosted = { address: '10.0.0.1', pnn: -1 };
  assert.equal(canHostIps({ nodes: [{ flags: 0x02, known: [unhosted] }], tunables }), false);
  assert.equal(canHostIps({ nodes: [{ flags: 0, known: [unhosted] }], tunables }), true);
  // Hosted somewhere: a run is needed to move it even though nobody can host it now.
  assert.equal(
    canHostIps({ nodes: [{ flags: 0x02, known: [{ address: '10.0.0.1', pnn: 0 }] }], tunables }),
    true,
  );
});
