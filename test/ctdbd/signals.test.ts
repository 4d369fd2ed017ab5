// Signals an administrator's tools send to ctdbd, as CTDB's ctdbd takes them: SIGHUP (logrotate)
// reopens the log file and the daemon keeps running; SIGUSR1 is ignored. One node in its own
// namespace, logging to its file (not `-i`, which logs to stderr).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { helperCommand } from '../../runtime/paths/index.js';
import { healthy, nodeEnv, probe, socketOf, writeNodeConfig } from '../../tools/local-cluster.js';
import { canCreateNamespaces, NetLab, type LabProcess } from '../support/netlab.js';

const can = canCreateNamespaces();

describe('ctdbd and signals', { skip: can.ok ? false : can.reason }, () => {
  let lab: NetLab;
  let dir: string;
  let base: string;
  let daemon: LabProcess;
  let pid: number;

  before(async () => {
    lab = await NetLab.create({ nodes: 1, client: false, label: 'sig' });
    dir = mkdtempSync(join(tmpdir(), 'ctdbd-sig-'));
    base = join(dir, 'node.0');
    writeNodeConfig(base, [lab.nodes[0]!.privateAddress!], 0);
    // CTDBD_BACKGROUND: this is already the background copy, so it logs to its file and stays
    // our child (the lab kills it on teardown).
    daemon = lab.nodes[0]!.spawn(helperCommand('ctdbd'), {
      env: { ...nodeEnv(base), CTDBD_BACKGROUND: '1' },
      stdinPipe: true,
    });
    const deadline = Date.now() + 120_000;
    while (!healthy(await probe(socketOf(base), 1500), 1)) {
      if (!daemon.running) throw new Error(`ctdbd exited:\n${daemon.output()}`);
      if (Date.now() > deadline) throw new Error(`not healthy:\n${daemon.output()}`);
      await sleep(250);
    }
    pid = Number(readFileSync(join(base, 'run', 'ctdbd.pid'), 'utf8'));
    assert.ok(pid > 0, 'ctdbd wrote its pid file');
  });

  after(async () => {
    daemon?.closeStdin();
    await lab?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('SIGHUP reopens the log file (after logrotate moved it) and ctdbd keeps running', async () => {
    const logFile = join(base, 'log.ctdb');
    assert.ok(existsSync(logFile), 'ctdbd logs to its file');
    renameSync(logFile, `${logFile}.1`);
    process.kill(pid, 'SIGHUP');
    const deadline = Date.now() + 10_000;
    while (!existsSync(logFile) || !readFileSync(logFile, 'utf8').includes('Reopened logs')) {
      assert.ok(Date.now() < deadline, 'a new log file with "Reopened logs" appears');
      await sleep(100);
    }
    assert.ok(daemon.running, `ctdbd still running:\n${daemon.output()}`);
    assert.ok(healthy(await probe(socketOf(base), 3000), 1), 'and still answers, healthy');
  });

  test('SIGUSR1 is ignored', async () => {
    process.kill(pid, 'SIGUSR1');
    await sleep(500);
    assert.ok(daemon.running, `ctdbd still running:\n${daemon.output()}`);
    assert.ok(healthy(await probe(socketOf(base), 3000), 1), 'and still answers, healthy');
  });
});
