// verify_local_ip_allocation and the real kernel adapter (read-only netlink query).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeFlag, sockAddr } from '../../runtime/protocol/index.js';
import { kernelAddresses } from '../../runtime/takeover/adapters.js';
import { verifyLocalIpAllocation } from '../../runtime/takeover/run.js';

const lo = [{ name: 'eth0', linkState: 1, references: 1 }];
const base = {
  pnn: 1,
  flags: 0,
  ifaces: lo,
  previousIfaces: lo,
  known: [{ pnn: 1, addr: sockAddr('10.0.0.1') }],
  available: [{ pnn: 1, addr: sockAddr('10.0.0.1') }],
};

describe('verifyLocalIpAllocation', () => {
  it('is quiet when all is well', async () => {
    assert.equal(await verifyLocalIpAllocation(base), undefined);
    assert.equal(await verifyLocalIpAllocation({ ...base, previousIfaces: undefined }), undefined);
  });

  it('asks for a run when the interfaces changed', async () => {
    const down = [{ name: 'eth0', linkState: 0, references: 1 }];
    assert.match(
      (await verifyLocalIpAllocation({ ...base, ifaces: down })) ?? '',
      /interfaces changed/,
    );
  });

  it('asks for a run for an unassigned available address only when flags are 0', async () => {
    const available = [{ pnn: 0xffffffff, addr: sockAddr('10.0.0.1') }];
    assert.match(
      (await verifyLocalIpAllocation({ ...base, available })) ?? '',
      /10\.0\.0\.1 is unassigned/,
    );
    assert.equal(
      await verifyLocalIpAllocation({ ...base, available, flags: NodeFlag.PERMANENTLY_DISABLED }),
      undefined,
    );
  });

  it('compares owner beliefs with the kernel when it is checked', async () => {
    const kernel = { checked: true, hasAddress: (a: string) => Promise.resolve(a === '10.0.0.2') };
    assert.match(
      (await verifyLocalIpAllocation({ ...base, kernel })) ?? '',
      /10\.0\.0\.1 is not on an interface/,
    );
    const known = [{ pnn: 0, addr: sockAddr('10.0.0.2') }];
    assert.match(
      (await verifyLocalIpAllocation({ ...base, known, kernel })) ?? '',
      /10\.0\.0\.2 is on an interface/,
    );
  });

  it('the real kernel adapter finds 127.0.0.1 and not an unused address', async () => {
    const k = kernelAddresses(true);
    assert.equal(await k.hasAddress('127.0.0.1'), true);
    assert.equal(await k.hasAddress('203.0.113.254'), false);
    assert.equal(await kernelAddresses(false).hasAddress('127.0.0.1'), false);
  });
});
