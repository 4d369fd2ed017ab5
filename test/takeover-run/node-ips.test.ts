// The daemon-side IP control handlers with a fake event runner and a fake kernel address set
// (stand-ins for the event daemon and netlink; ctdbd wires the real ones).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Control, ControlFlag, Runstate, Srvid, sockAddr } from '../../runtime/protocol/index.js';
import { dispatchIpControl } from '../../runtime/takeover/controls.js';
import { NodeIps } from '../../runtime/takeover/node-ips.js';
import {
  addrInfoPayload,
  connectionPayload,
  ifacePayload,
  publicIpInfoPayload,
  publicIpListPayload,
  sockAddrPayload,
  tickleListPayload,
} from '../../runtime/takeover/wire.js';
import { FakeNode } from './fake-cluster.js';

const PA = '10.0.0.1/24 eth0,eth1\n10.0.0.2/24 eth1\nfd00::5/64 eth0\n';
const ip = (address: string, pnn: number) => ({ pnn: pnn >>> 0, addr: sockAddr(address) });
const conn = (client: string, cport: number, server: string, sport: number) => ({
  src: sockAddr(client, cport),
  dst: sockAddr(server, sport),
});

describe('TAKEOVER_IP / RELEASE_IP', () => {
  it('takes an address on the best interface, announces it, tells local clients', async () => {
    const n = new FakeNode(0, PA);
    await n.ips.takeoverIp(ip('10.0.0.1', 0));
    assert.deepEqual(n.events, [{ event: 'takeip', args: ['eth0', '10.0.0.1', '24'] }]);
    assert.deepEqual(n.held(), ['10.0.0.1']);
    assert.deepEqual(n.announced, [{ iface: 'eth0', address: '10.0.0.1', tickles: 0 }]);
    assert.deepEqual(n.clientMessages, [{ srvid: Srvid.TAKE_IP, text: '10.0.0.1' }]);
    // A second takeover is redundant: no event.
    await n.ips.takeoverIp(ip('10.0.0.1', 0));
    assert.equal(n.events.length, 1);
  });

  it('refuses a takeover for another pnn; unknown addresses succeed silently', async () => {
    const n = new FakeNode(0, PA);
    await assert.rejects(n.ips.takeoverIp(ip('10.0.0.1', 1)), /for node 1 sent to node 0/);
    await n.ips.takeoverIp(ip('192.168.9.9', 0));
    await n.ips.releaseIp(ip('192.168.9.9', 1));
    assert.equal(n.events.length, 0);
  });

  it('updateip when the interface goes down, using the next configured one', async () => {
    const n = new FakeNode(0, PA);
    await n.ips.takeoverIp(ip('10.0.0.1', 0));
    n.ips.setIfaceLinkState({ name: 'eth0', linkState: 0, references: 0 });
    await n.ips.takeoverIp(ip('10.0.0.1', 0));
    assert.deepEqual(n.events[1], { event: 'updateip', args: ['eth0', 'eth1', '10.0.0.1', '24'] });
    assert.deepEqual(
      n.ips.getIfaces().map((i) => [i.name, i.linkState, i.references]),
      [
        ['eth1', 1, 1],
        ['eth0', 0, 0],
      ],
    );
  });

  it('fails with no usable interface', async () => {
    const n = new FakeNode(0, PA);
    n.ips.setIfaceLinkState({ name: 'eth1', linkState: 0, references: 0 });
    await assert.rejects(n.ips.takeoverIp(ip('10.0.0.2', 0)), /no usable interface/);
  });

  it('bans itself when the kernel has an address another node owns', async () => {
    const n = new FakeNode(0, PA);
    await n.ips.releaseIp(ip('10.0.0.2', 1)); // redundant: learns owner 1
    n.kernel.add('10.0.0.2');
    await assert.rejects(n.ips.takeoverIp(ip('10.0.0.2', 0)), /already hosted by node 1/);
    assert.equal(n.bans.length, 1);
  });

  it('release runs releaseip, records the new owner, notifies clients, unassigns', async () => {
    const n = new FakeNode(0, PA);
    await n.ips.takeoverIp(ip('10.0.0.2', 0));
    await n.ips.releaseIp(ip('10.0.0.2', 2));
    assert.deepEqual(n.events[1], { event: 'releaseip', args: ['eth1', '10.0.0.2', '24'] });
    assert.deepEqual(n.held(), []);
    assert.equal(n.ips.table.find('10.0.0.2')?.pnn, 2);
    assert.equal(n.ips.table.iface('eth1')?.references, 0);
    assert.deepEqual(n.clientMessages.at(-1), { srvid: Srvid.RELEASE_IP, text: '10.0.0.2' });
    assert.equal(n.ips.announcing, 0, 'announcements stopped on release');
  });

  it('a failing releaseip fails the control and keeps the address', async () => {
    const n = new FakeNode(0, PA);
    await n.ips.takeoverIp(ip('10.0.0.2', 0));
    n.failingEvents.add('releaseip');
    await assert.rejects(n.ips.releaseIp(ip('10.0.0.2', 1)), /releaseip failed/);
    assert.equal(n.ips.table.find('10.0.0.2')?.pnn, 0);
  });

  it('IPv6 addresses go through the same path', async () => {
    const n = new FakeNode(0, PA);
    await n.ips.takeoverIp(ip('fd00:0::5', 0));
    assert.deepEqual(n.events[0], { event: 'takeip', args: ['eth0', 'fd00::5', '64'] });
  });
});

describe('queries and runtime changes through the control dispatcher', () => {
  it('GET_PUBLIC_IPS with and without ONLY_AVAILABLE', async () => {
    const n = new FakeNode(0, PA);
    await n.ips.takeoverIp(ip('10.0.0.1', 0));
    const all = await dispatchIpControl(n.ips, Control.GET_PUBLIC_IPS, new Uint8Array(0));
    assert.deepEqual(
      publicIpListPayload.decode(all.data).map((p) => [p.addr.address, p.pnn]),
      [
        ['fd00::5', 0xffffffff],
        ['10.0.0.2', 0xffffffff],
        ['10.0.0.1', 0],
      ],
    );
    n.ips.setIfaceLinkState({ name: 'eth1', linkState: 0, references: 0 });
    const avail = await dispatchIpControl(
      n.ips,
      Control.GET_PUBLIC_IPS,
      new Uint8Array(0),
      ControlFlag.PUBLIC_IP_ONLY_AVAILABLE,
    );
    assert.deepEqual(
      publicIpListPayload.decode(avail.data).map((p) => p.addr.address),
      ['fd00::5', '10.0.0.1'],
    );
    n.runstate = Runstate.STARTUP;
    const none = await dispatchIpControl(
      n.ips,
      Control.GET_PUBLIC_IPS,
      new Uint8Array(0),
      ControlFlag.PUBLIC_IP_ONLY_AVAILABLE,
    );
    assert.equal(publicIpListPayload.decode(none.data).length, 0);
  });

  it('GET_PUBLIC_IP_INFO: owner, active index, interfaces; unknown → -1', async () => {
    const n = new FakeNode(0, PA);
    await n.ips.takeoverIp(ip('10.0.0.1', 0));
    const r = await dispatchIpControl(
      n.ips,
      Control.GET_PUBLIC_IP_INFO,
      sockAddrPayload.encode(sockAddr('10.0.0.1')),
    );
    const info = publicIpInfoPayload.decode(r.data);
    assert.equal(info.ip.pnn, 0);
    assert.equal(info.activeIdx, 0);
    assert.deepEqual(
      info.ifaces.map((i) => [i.name, i.references]),
      [
        ['eth0', 1],
        ['eth1', 0],
      ],
    );
    const bad = await dispatchIpControl(
      n.ips,
      Control.GET_PUBLIC_IP_INFO,
      sockAddrPayload.encode(sockAddr('10.9.9.9')),
    );
    assert.equal(bad.status, -1);
    const garbage = await dispatchIpControl(n.ips, Control.GET_PUBLIC_IP_INFO, new Uint8Array(3));
    assert.equal(garbage.status, -1, 'truncated data is an error, not a crash');
  });

  it('SET_IFACE_LINK_STATE validates its input', async () => {
    const n = new FakeNode(0, PA);
    const set = (name: string, linkState: number, references = 0) =>
      dispatchIpControl(
        n.ips,
        Control.SET_IFACE_LINK_STATE,
        ifacePayload.encode({ name, linkState, references }),
      );
    assert.equal((await set('eth0', 0)).status, 0);
    assert.equal((await set('eth0', 2)).status, -1);
    assert.equal((await set('eth0', 1, 3)).status, -1);
    assert.equal((await set('nope', 1)).status, -1);
    assert.equal(n.ips.table.iface('eth0')?.linkUp, false);
  });

  it('ADD/DEL_PUBLIC_IP: delete is deferred while hosted, done at release', async () => {
    const n = new FakeNode(0, PA);
    const add = await dispatchIpControl(
      n.ips,
      Control.ADD_PUBLIC_IP,
      addrInfoPayload.encode({ addr: sockAddr('10.0.0.7'), mask: 24, iface: 'eth9' }),
    );
    assert.equal(add.status, 0);
    assert.equal(n.ips.table.iface('eth9')?.linkUp, true);
    const dup = await dispatchIpControl(
      n.ips,
      Control.ADD_PUBLIC_IP,
      addrInfoPayload.encode({ addr: sockAddr('10.0.0.7'), mask: 24, iface: 'eth9' }),
    );
    assert.equal(dup.status, -1);
    await n.ips.takeoverIp(ip('10.0.0.7', 0));
    n.ips.delPublicIp({ addr: sockAddr('10.0.0.7'), mask: 0, iface: '' });
    assert.equal(n.ips.table.find('10.0.0.7')?.deletePending, true);
    await n.ips.releaseIp(ip('10.0.0.7', 0xffffffff));
    assert.equal(n.ips.table.find('10.0.0.7'), undefined);
    n.ips.delPublicIp({ addr: sockAddr('10.0.0.2'), mask: 0, iface: '' });
    assert.equal(n.ips.table.find('10.0.0.2'), undefined, 'not hosted: deleted at once');
    assert.throws(() => n.ips.delPublicIp({ addr: sockAddr('10.0.0.2'), mask: 0, iface: '' }));
  });

  it('RELOAD_PUBLIC_IPS adds new addresses and releases vanished hosted ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'h9-reload-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'public_addresses');
    await writeFile(file, '10.0.0.1/24 eth0\n10.0.0.2/24 eth0\n');
    const events: string[] = [];
    const ips = await NodeIps.fromFile(file, {
      events: {
        run: (e, a) => {
          events.push(`${e} ${a.join(' ')}`);
          return Promise.resolve(0);
        },
      },
      kernel: { checked: false, hasAddress: () => Promise.resolve(false) },
      announcer: { start: () => ({ stop: () => undefined }) },
      host: {
        pnn: 0,
        localState: () => ({ runstate: Runstate.RUNNING, flags: 0 }),
        notifyLocalClients: () => undefined,
        banSelf: () => undefined,
        sendTcpUpdate: () => undefined,
      },
    });
    await ips.takeoverIp(ip('10.0.0.1', 0));
    await writeFile(file, '10.0.0.2/24 eth0\n10.0.0.3/24 eth0\n');
    const r = await dispatchIpControl(ips, Control.RELOAD_PUBLIC_IPS, new Uint8Array(0));
    assert.equal(r.status, 0);
    assert.deepEqual(ips.table.vnns.map((v) => v.address.text).sort(), ['10.0.0.2', '10.0.0.3']);
    assert.deepEqual(events, ['takeip eth0 10.0.0.1 24', 'releaseip eth0 10.0.0.1 24']);
  });

  it('tickles: TCP_ADD/REMOVE, GET with a port filter, SET ignored by the host', async () => {
    const n = new FakeNode(0, PA);
    const c1 = conn('10.0.1.5', 40001, '10.0.0.2', 445);
    const c2 = conn('10.0.1.6', 40002, '10.0.0.2', 2049);
    for (const c of [c1, c2, c1]) {
      const r = await dispatchIpControl(n.ips, Control.TCP_ADD, connectionPayload.encode(c));
      assert.equal(r.status, 0);
    }
    const notPublic = await dispatchIpControl(
      n.ips,
      Control.TCP_ADD,
      connectionPayload.encode(conn('10.0.1.5', 1, '10.9.9.9', 445)),
    );
    assert.equal(notPublic.status, -1);
    const get = async (port: number) =>
      tickleListPayload.decode(
        (
          await dispatchIpControl(
            n.ips,
            Control.GET_TCP_TICKLE_LIST,
            sockAddrPayload.encode(sockAddr('10.0.0.2', port)),
          )
        ).data,
      ).connections;
    assert.equal((await get(0)).length, 2);
    assert.deepEqual(await get(445), [c1]);
    await dispatchIpControl(n.ips, Control.TCP_REMOVE, connectionPayload.encode(c1));
    assert.deepEqual(await get(0), [c2]);
    // Another node's list replaces ours while we do not host the address…
    const set = await dispatchIpControl(
      n.ips,
      Control.SET_TCP_TICKLE_LIST,
      tickleListPayload.encode({ addr: sockAddr('10.0.0.2'), connections: [c1, c2] }),
    );
    assert.equal(set.status, 0);
    assert.equal((await get(0)).length, 2);
    // …and a takeover announces with those connections as tickles.
    await n.ips.takeoverIp(ip('10.0.0.2', 0));
    assert.deepEqual(n.announced.at(-1), { iface: 'eth1', address: '10.0.0.2', tickles: 2 });
    // Once hosted here, SET is ignored.
    await dispatchIpControl(
      n.ips,
      Control.SET_TCP_TICKLE_LIST,
      tickleListPayload.encode({ addr: sockAddr('10.0.0.2'), connections: [] }),
    );
    assert.equal((await get(0)).length, 2);
    const unknown = await dispatchIpControl(
      n.ips,
      Control.SET_TCP_TICKLE_LIST,
      tickleListPayload.encode({ addr: sockAddr('10.9.9.9'), connections: [] }),
    );
    assert.equal(unknown.status, 1);
    assert.equal(n.ips.tickleListsToSend(true).length, 1);
  });

  it('IPREALLOCATED runs the event and notifies clients; failure is an error', async () => {
    const n = new FakeNode(0, PA);
    assert.equal(
      (await dispatchIpControl(n.ips, Control.IPREALLOCATED, new Uint8Array(0))).status,
      0,
    );
    assert.deepEqual(n.clientMessages, [{ srvid: Srvid.IPREALLOCATED, text: '' }]);
    n.failingEvents.add('ipreallocated');
    assert.equal(
      (await dispatchIpControl(n.ips, Control.IPREALLOCATED, new Uint8Array(0))).status,
      -1,
    );
  });
});
