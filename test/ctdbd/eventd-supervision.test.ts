// ctdbd supervises its event daemon over the `-S` status pipe as CTDB does: eventd writes a
// native 0 when ready and keeps its end open while it runs, so ctdbd reads that pipe closing as
// "eventd went away" and exits. One node in its own namespace.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventdPaths, pidfilePath } from '../../runtime/eventd/paths.js';
import { helperCommand } from '../../runtime/paths/index.js';
import { healthy, nodeEnv, probe, socketOf, writeNodeConfig } from '../../tools/local-cluster.js';
import { canCreateNamespaces, NetLab, type LabProcess } from '../support/netlab.js';

const can = canCreateNamespaces();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ctdbd and its event daemon', { skip: can.ok ? false : can.reason }, () => {
  let lab: NetLab;
  let dir: string;
  let base: string;
  let daemon: LabProcess;

  before(async () => {
    lab = await NetLab.create({ nodes: 1, client: false, label: 'evsup' });
    dir = mkdtempSync(join(tmpdir(), 'ctdbd-evsup-'));
    base = join(dir, 'node.0');
    writeNodeConfig(base, [lab.nodes[0]!.privateAddress!], 0);
    daemon = lab.nodes[0]!.spawn([...helperCommand('ctdbd'), '-i'], {
      env: nodeEnv(base),
      stdinPipe: true,
    });
    // Generous: on a loaded machine each process needs seconds just to load.
    const deadline = Date.now() + 120_000;
    while (!healthy(await probe(socketOf(base), 1500), 1)) {
      if (!daemon.running) throw new Error(`ctdbd exited:\n${daemon.output()}`);
      if (Date.now() > deadline) throw new Error(`not healthy:\n${daemon.output()}`);
      await sleep(250);
    }
  });

  after(async () => {
    daemon?.closeStdin();
    await lab?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
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
