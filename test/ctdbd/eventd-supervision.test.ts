// The event daemon inside ctdbd (the default) and as its own process (CTDBD_EVENTD_PROCESS=1).
// Hosted, it serves its socket from ctdbd's process: Debian's ctdb-event tool drives it and the
// node's scripts run. As a process, ctdbd supervises it over the `-S` status pipe as CTDB does:
// eventd writes a native 0 when ready and keeps its end open while it runs, so ctdbd reads that
// pipe closing as "eventd went away" and exits. One node in its own namespace each.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventdPaths, pidfilePath } from '../../runtime/eventd/paths.js';
import { nodeEnv } from '../../tools/local-cluster.js';
import { canCreateNamespaces, type LabProcess } from '../support/netlab.js';
import { startSingleNode, type SingleNode } from '../support/single-node.js';

const can = canCreateNamespaces();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of running processes whose command line mentions `word` and whose CTDB_BASE is `base`. */
function processesOf(base: string, word: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (cmd.includes(word) && env.includes(`CTDB_BASE=${base}`)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const CTDB_EVENT_TOOL = '/usr/libexec/ctdb/ctdb-event';

describe('the event daemon inside ctdbd', { skip: can.ok ? false : can.reason }, () => {
  let node: SingleNode;

  before(async () => {
    node = await startSingleNode('evhost');
  });

  after(async () => {
    await node?.destroy();
  });

  test('no ctdb-eventd process runs; the node ran its start-up events', () => {
    assert.ok(processesOf(node.base, 'ctdbd').length > 0, 'ctdbd is found by the same check');
    assert.deepEqual(processesOf(node.base, 'ctdb-eventd'), []);
    assert.match(node.daemon.output(), /CTDB daemon startup completed/);
    assert.doesNotMatch(node.daemon.output(), /Eventd went away/);
  });

  test(
    "Debian's ctdb-event drives the hosted daemon over its socket",
    {
      skip: existsSync(CTDB_EVENT_TOOL) ? false : `${CTDB_EVENT_TOOL} is not installed`,
    },
    async () => {
      const env = { ...nodeEnv(node.base) };
      const host = node.lab.nodes[0]!;
      const run = await host.run([CTDB_EVENT_TOOL, 'run', '10', 'legacy', 'monitor'], { env });
      assert.equal(run.code, 0, `ctdb-event run: ${run.stdout}${run.stderr}`);
      const status = await host.run([CTDB_EVENT_TOOL, 'status', 'legacy', 'monitor'], { env });
      assert.equal(status.code, 0, `ctdb-event status: ${status.stdout}${status.stderr}`);
      assert.match(status.stdout, /00\.ctdb\s+OK/);
    },
  );
});

describe('ctdbd and its event daemon as a process', { skip: can.ok ? false : can.reason }, () => {
  let node: SingleNode;
  let base: string;
  let daemon: LabProcess;

  before(async () => {
    node = await startSingleNode('evsup', { env: { CTDBD_EVENTD_PROCESS: '1' } });
    ({ base, daemon } = node);
  });

  after(async () => {
    await node?.destroy();
  });

  test('a running eventd keeps the status pipe open, so ctdbd stays up', async () => {
    const pid = Number(readFileSync(pidfilePath(eventdPaths(nodeEnv(base))), 'utf8'));
    assert.ok(Number.isInteger(pid) && pid > 0 && alive(pid), `eventd pid ${pid} is running`);
    await sleep(2000);
    assert.ok(daemon.running, `ctdbd still running:\n${daemon.output()}`);
    assert.doesNotMatch(daemon.output(), /Eventd went away/);
  });

  test('killing eventd makes ctdbd exit, saying eventd went away', async () => {
    const pid = Number(readFileSync(pidfilePath(eventdPaths(nodeEnv(base))), 'utf8'));
    process.kill(pid, 'SIGKILL');
    const code = await Promise.race([daemon.exited, sleep(20_000).then(() => 'still running')]);
    assert.notEqual(code, 'still running', 'ctdbd exited after its eventd was killed');
    assert.match(daemon.output(), /Eventd went away/);
  });
});
