// Public addresses: parsing, the 128-bit key, ordering and the text CTDB prints.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareKeys, parseIpAddress } from '../../runtime/takeover/ipalloc/address.js';
import { IpallocAddressError } from '../../runtime/takeover/ipalloc/errors.js';

test('IPv4 keys are [0, 0, 0, address as an unsigned host integer]', () => {
  assert.deepEqual(parseIpAddress('10.0.0.1').key, [0, 0, 0, 0x0a000001]);
  assert.deepEqual(parseIpAddress('255.255.255.255').key, [0, 0, 0, 0xffffffff]);
  assert.equal(parseIpAddress('0.0.0.0').text, '0.0.0.0');
  assert.equal(parseIpAddress('10.0.0.1').family, 4);
});

test('IPv6 keys are the four 32-bit words in network order', () => {
  const a = parseIpAddress('2001:db8:1:2:3:4:5:6');
  assert.equal(a.family, 6);
  assert.deepEqual(a.key, [0x20010db8, 0x00010002, 0x00030004, 0x00050006]);
  assert.deepEqual(parseIpAddress('::1').key, [0, 0, 0, 1]);
  assert.deepEqual(parseIpAddress('::ffff:10.0.0.1').key, [0, 0, 0xffff, 0x0a000001]);
  assert.deepEqual(parseIpAddress('fe80::1:2').key, [0xfe800000, 0, 0, 0x00010002]);
});

test('IPv6 text is written the way inet_ntop writes it', () => {
  const cases: [string, string][] = [
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // first longest run wins
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], // the longer run wins
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'], // single zero groups stay
    ['0:0:0:0:0:0:0:0', '::'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::ffff:0a00:0001', '::ffff:10.0.0.1'], // IPv4-mapped keeps a dotted tail
    ['::0a00:0001', '::10.0.0.1'], // IPv4-compatible too
    ['::0:1', '::1'], // but not when the sixth group is zero as well
    ['fd00:1::7', 'fd00:1::7'],
  ];
  for (const [input, text] of cases) assert.equal(parseIpAddress(input).text, text, input);
});

test('bad addresses are rejected with the text in the error', () => {
  for (const bad of [
    '',
    '10.0.0',
    '10.0.0.1.2',
    '256.0.0.1',
    '01.2.3.4',
    '10.0.0.1/24',
    'host',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    ':1:2:3:4:5:6:7',
    '12345::1',
    '::1.2.3',
    'fe80::1%eth0',
  ]) {
    assert.throws(
      () => parseIpAddress(bad),
      (err: unknown) => err instanceof IpallocAddressError && err.text === bad,
      bad,
    );
  }
});

test('keys order lexicographically, IPv4 below IPv6 global addresses', () => {
  const sorted = ['2001:db8::1', '10.0.0.2', '10.0.0.10', '192.168.1.1', '::2', 'fd00::1']
    .map(parseIpAddress)
    .sort((a, b) => compareKeys(a.key, b.key))
    .map((a) => a.text);
  assert.deepEqual(sorted, [
    '::2',
    '10.0.0.2',
    '10.0.0.10',
    '192.168.1.1',
    '2001:db8::1',
    'fd00::1',
  ]);
});
