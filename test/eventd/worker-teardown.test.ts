// A TypeScript eventscript that uses the rtnetlink socket (lib/net) runs in a worker thread;
// cancelling it (any event cancels a running monitor) ends that worker. Ending a worker while
// its netlink socket was still closing used to crash the whole event daemon with SIGSEGV, which
// made ctdbd exit ("Eventd went away"). This drives that race many times with real processes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EventdClient } from '../../runtime/eventd/client.js';
import {
  makeFixture,
  ROOT,
  sleep,
  startDaemon,
  TS_HEADER,
  type Daemon,
  type Fixture,
} from './support.js';

let fx: Fixture;
let daemon: Daemon;

before(async () => {
  fx = makeFixture();
  const net = join(ROOT, 'lib', 'net', 'index.ts');
  fx.write(
    '50.netlink.script',
    `${TS_HEADER}import { listLinks } from ${JSON.stringify(net)};
export default defineEventScript({
  async monitor(_args, ctx) {
    // Keep the socket busy until the run is cancelled.
    for (let i = 0; i < 400 && !ctx.signal.aborted; i++) await listLinks();
  },
  async ipreallocated() {
    await listLinks();
  },
});
`,
  );
  daemon = await startDaemon(fx);
});

after(async () => {
  await daemon?.stop();
  fx?.cleanup();
});

test('cancelling a netlink-using TypeScript monitor never takes the daemon down', async () => {
  const client = await EventdClient.connect(join(fx.base, 'run', 'eventd.socket'));
  try {
    const delays = [20, 60, 120, 180, 250, 330, 420, 520, 650, 800];
    for (const delay of delays) {
      const monitor = client.run('legacy', 'monitor', null, 30);
      await sleep(delay);
      const next = await client.run('legacy', 'ipreallocated', null, 30);
      assert.equal(next, 0, `ipreallocated after ${delay} ms: status ${next}\n${daemon.log()}`);
      await monitor;
      // The cancelled worker is retired a moment later: give it time to end, then check.
      await sleep(300);
      assert.equal(daemon.proc.exitCode, null, `eventd exited after ${delay} ms:\n${daemon.log()}`);
      assert.equal(
        daemon.proc.signalCode,
        null,
        `eventd crashed after ${delay} ms:\n${daemon.log()}`,
      );
    }
  } finally {
    client.close();
  }
});
