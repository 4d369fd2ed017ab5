// Byte layouts of the public-IP payloads (CTDB 4.17 protocol_types.c). The same codecs are
// checked byte for byte against a live Debian ctdbd in test/ipcli/compat.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sockAddr } from '../../runtime/protocol/index.js';
import {
  addrInfoPayload,
  connectionPayload,
  ifacePayload,
  publicIpInfoPayload,
  publicIpListPayload,
  tickleListPayload,
} from '../../runtime/takeover/wire.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('wire layouts', () => {
  it('public_ip_list: u32 num, then {u32 pnn, 28-byte sockaddr}', () => {
    const b = publicIpListPayload.encode([{ pnn: 0xffffffff, addr: sockAddr('10.0.0.1') }]);
    assert.equal(b.length, 4 + 32);
    assert.equal(hex(b.subarray(0, 12)), '01000000' + 'ffffffff' + '0200' + '0000');
    assert.equal(hex(b.subarray(12, 16)), '0a000001');
    assert.throws(() => publicIpListPayload.decode(Uint8Array.of(9, 0, 0, 0)), /do not fit/);
  });

  it('public_ip_info: ip, active_idx, iface list of 24-byte records', () => {
    const b = publicIpInfoPayload.encode({
      ip: { pnn: 1, addr: sockAddr('fd00::1') },
      activeIdx: 0,
      ifaces: [{ name: 'eth0', linkState: 1, references: 2 }],
    });
    assert.equal(b.length, 32 + 4 + 4 + 24);
    assert.equal(hex(b.subarray(32, 40)), '00000000' + '01000000');
    assert.equal(
      hex(b.subarray(40, 64)),
      hex(ifacePayload.encode({ name: 'eth0', linkState: 1, references: 2 })),
    );
    assert.equal(hex(b.subarray(58, 64)), '0100' + '02000000');
    assert.deepEqual(publicIpInfoPayload.decode(b).ifaces[0], {
      name: 'eth0',
      linkState: 1,
      references: 2,
    });
  });

  it('addr_info: sockaddr, u32 mask, u32 length with NUL, iface', () => {
    const b = addrInfoPayload.encode({ addr: sockAddr('10.0.0.1'), mask: 24, iface: 'lo' });
    assert.equal(hex(b.subarray(28)), '18000000' + '03000000' + '6c6f00');
    assert.deepEqual(addrInfoPayload.decode(b).iface, 'lo');
  });

  it('tickle_list: sockaddr, u32 num, 56-byte connections', () => {
    const conn = { src: sockAddr('10.0.1.5', 40001), dst: sockAddr('10.0.0.2', 445) };
    const b = tickleListPayload.encode({ addr: sockAddr('10.0.0.2'), connections: [conn] });
    assert.equal(b.length, 28 + 4 + 56);
    assert.equal(hex(b.subarray(32, 88)), hex(connectionPayload.encode(conn)));
    assert.equal(hex(b.subarray(34, 36)), '9c41'); // port 40001, network order
    assert.deepEqual(tickleListPayload.decode(b).connections, [conn]);
  });
});
