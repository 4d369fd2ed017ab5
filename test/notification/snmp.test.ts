// The SNMP notification hook against a real snmptrapd: the `unhealthy` and `healthy` traps
// arrive with the documented OIDs and varbinds, over SNMPv2c and over SNMPv3 authPriv (and a
// wrong v3 pass phrase is rejected by the receiver); with informs, a receiver that is down
// is a logged failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { notify } from '../../runtime/notification/index.js';
import { DEFAULT_ENTERPRISE_OID as ARC } from '../../events/notification/snmp-trap.js';
import {
  CLUSTER_STATE,
  makeHookBase,
  MemoryLog,
  NODE1_ADDRESS,
  type HookBase,
} from './support/hooks.js';
import { freeUdpPort, haveSnmptrapd, TrapReceiver } from './support/snmptrapd.js';

const skip = haveSnmptrapd() ? false : 'snmptrapd (Debian package snmptrapd) is not installed';
const ENGINE_ID = '800000000102030405';

function assertVarbinds(trap: { varbinds: ReadonlyMap<string, string> }, event: string): void {
  const v = trap.varbinds;
  assert.equal(v.get(`.${ARC}.1.1.0`), `STRING: "${event}"`);
  assert.equal(v.get(`.${ARC}.1.2.0`), `STRING: "${NODE1_ADDRESS}"`);
  assert.equal(v.get(`.${ARC}.1.3.0`), 'INTEGER: 1');
  assert.equal(v.get(`.${ARC}.1.4.0`), `STRING: "${CLUSTER_STATE}"`);
  const time = /^STRING: "(.*)"$/.exec(v.get(`.${ARC}.1.5.0`) ?? '')?.[1] ?? '';
  assert.ok(Math.abs(Date.parse(time) - Date.now()) < 60_000, `time varbind ${time}`);
  assert.equal(v.get(`.${ARC}.1.6.0`), `STRING: "${hostname()}"`);
}

describe('SNMP trap notification hook', { skip }, () => {
  let hooks: HookBase;
  let receiver: TrapReceiver;

  before(async () => {
    hooks = makeHookBase('snmp');
    receiver = await TrapReceiver.start(join(hooks.dir, 'snmptrapd'), [
      `createUser -e 0x${ENGINE_ID} ctdbuser SHA authpass-123 AES privpass-456`,
    ]);
  });
  after(() => {
    receiver.stop();
    hooks.cleanup();
  });

  async function send(event: 'unhealthy' | 'healthy'): Promise<MemoryLog> {
    const log = new MemoryLog();
    const outcomes = await notify(event, { log, env: hooks.env, timeoutMs: 20_000 }).done;
    assert.deepEqual(
      outcomes.map((o) => o.exitCode),
      [0],
      outcomes.map((o) => o.output).join('\n'),
    );
    return log;
  }

  test('SNMPv2c: unhealthy then healthy traps with the documented varbinds', async () => {
    hooks.install(
      'snmp-trap',
      'snmp-trap',
      `CTDB_NOTIFY_SNMP_RECEIVERS=127.0.0.1:${receiver.port}\nCTDB_NOTIFY_SNMP_COMMUNITY=ctdb-test\n`,
    );
    await send('unhealthy');
    const unhealthy = await receiver.waitFor(`${ARC}.0.4`);
    assert.ok(unhealthy, 'unhealthy trap received');
    assertVarbinds(unhealthy, 'unhealthy');
    await send('healthy');
    const healthy = await receiver.waitFor(`${ARC}.0.5`);
    assert.ok(healthy, 'healthy trap received');
    assertVarbinds(healthy, 'healthy');
  });

  test('SNMPv3 authPriv traps are accepted; a wrong pass phrase is not', async () => {
    const v3 = (priv: string, event: string): string =>
      [
        `CTDB_NOTIFY_SNMP_RECEIVERS="127.0.0.1"`,
        `CTDB_NOTIFY_SNMP_PORT=${receiver.port}`,
        'CTDB_NOTIFY_SNMP_VERSION=3',
        'CTDB_NOTIFY_SNMP_USER=ctdbuser',
        'CTDB_NOTIFY_SNMP_AUTH_PROTOCOL=sha',
        "CTDB_NOTIFY_SNMP_AUTH_PASSWORD='authpass-123'",
        'CTDB_NOTIFY_SNMP_PRIV_PROTOCOL=aes',
        `CTDB_NOTIFY_SNMP_PRIV_PASSWORD=${priv}`,
        `CTDB_NOTIFY_SNMP_ENGINE_ID=${ENGINE_ID}`,
        `CTDB_NOTIFY_SNMP_ENTERPRISE_OID=${ARC}.${event}`,
        '',
      ].join('\n');
    // Each case uses its own OID arc, so traps from the other tests cannot be mistaken for it.
    hooks.install('snmp-trap', 'snmp-trap', v3('wrong-pass-789', '99'));
    await send('unhealthy');
    hooks.install('snmp-trap', 'snmp-trap', v3('privpass-456', '98'));
    await send('unhealthy');
    const good = await receiver.waitFor(`${ARC}.98.0.4`);
    assert.ok(good, 'v3 authPriv trap received');
    assert.equal(good.varbinds.get(`.${ARC}.98.1.1.0`), 'STRING: "unhealthy"');
    assert.equal(good.varbinds.get(`.${ARC}.98.1.3.0`), 'INTEGER: 1');
    // Sent before the good one: had it been accepted it would be in the log by now.
    assert.equal(await receiver.waitFor(`${ARC}.99.0.4`, 300), undefined);
    await send('healthy');
    assert.ok(await receiver.waitFor(`${ARC}.98.0.5`), 'v3 healthy trap received');
  });

  test('informs to a receiver that is down fail, and the failure is logged', async () => {
    const deadPort = await freeUdpPort();
    hooks.install(
      'snmp-trap',
      'snmp-trap',
      `CTDB_NOTIFY_SNMP_RECEIVERS=127.0.0.1:${deadPort}\nCTDB_NOTIFY_SNMP_INFORM=yes\n`,
    );
    const log = new MemoryLog();
    const env = { ...hooks.env, CTDB_NOTIFY_TIMEOUT: '3' };
    const started = performance.now();
    const run = notify('unhealthy', { log, env, timeoutMs: 20_000 });
    assert.ok(performance.now() - started < 50, 'notify returns before the hook runs');
    const [outcome] = await run.done;
    assert.equal(outcome?.exitCode, 1, outcome?.output);
    assert.match(
      log.errors().join('\n'),
      /Notification script ".*snmp-trap\.script unhealthy" failed with error 1/,
    );
    assert.match(outcome?.output ?? '', /inform to 127\.0\.0\.1:\d+/);
  });
});
