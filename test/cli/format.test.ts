// Text formats of the node commands: flag words, node tables, ctime and spans, nodes files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { flagsText, nodemapHuman, nodemapMachine } from '../../runtime/cli/format/nodemap.js';
import { parseNodesFile } from '../../runtime/cli/format/nodes-file.js';
import { span } from '../../runtime/cli/format/time.js';
import { sockAddr } from '../../runtime/protocol/index.js';

describe('formats', () => {
  test('flag words in CTDB order with INACTIVE', () => {
    assert.equal(flagsText(0), 'OK');
    assert.equal(flagsText(0x03), 'DISCONNECTED|UNHEALTHY|INACTIVE');
    assert.equal(flagsText(0x20), 'STOPPED|INACTIVE');
    assert.equal(flagsText(0x08), 'BANNED|INACTIVE');
    assert.equal(flagsText(0x04), 'DISABLED');
    assert.equal(flagsText(0x40), 'UNKNOWN');
  });

  test('node tables skip deleted nodes and count them in the header', () => {
    const nodes = [
      { pnn: 0, flags: 0, addr: sockAddr('127.0.0.1') },
      { pnn: 1, flags: 0x10, addr: sockAddr('0.0.0.0') },
      { pnn: 2, flags: 0x04, addr: sockAddr('fd00::5357:5f03') },
    ];
    assert.equal(
      nodemapHuman(nodes, 0, true, new Set()),
      'Number of nodes:3 (including 1 deleted nodes)\n' +
        'pnn:0 127.0.0.1        OK (THIS NODE)\n' +
        'pnn:2 fd00::5357:5f03  DISABLED\n',
    );
    assert.equal(
      nodemapMachine(nodes, 2, '|', new Set([0])).split('\n')[1],
      '|0|127.0.0.1|0|0|0|0|0|0|0|1|N|',
    );
  });

  test('uptime spans', () => {
    assert.equal(span(17), '000 00:00:17');
    assert.equal(span(90061), '001 01:01:01');
  });

  test('nodes file: blanks, comments as deleted nodes, trailing blank lines', () => {
    const nodes = parseNodesFile('  10.0.0.1\t\n#10.0.0.2\n\n10.0.0.3\n\n\n')!;
    assert.deepEqual(
      nodes.map((n) => `${n.pnn} ${n.flags} ${n.addr.address}`),
      ['0 0 10.0.0.1', '1 16 0.0.0.0', '2 0 10.0.0.3'],
    );
    assert.equal(parseNodesFile('not-an-ip\n'), undefined);
  });
});
