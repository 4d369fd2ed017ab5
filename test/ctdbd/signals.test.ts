// Signals an administrator's tools send to ctdbd, as CTDB's ctdbd takes them: SIGHUP (logrotate)
// reopens the log file and the daemon keeps running; SIGUSR1 is ignored. One node in its own
// namespace, logging to its file (not `-i`, which logs to stderr).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { healthy, probe, socketOf } from '../../tools/local-cluster.js';
import { canCreateNamespaces, type LabProcess } from '../support/netlab.js';
import { startSingleNode, type SingleNode } from '../support/single-node.js';

const can = canCreateNamespaces();

describe('ctdbd and signals', { skip: can.ok ? false : can.reason }, () => {
  let node: SingleNode;
  let base: string;
  let daemon: LabProcess;
  let pid: number;

  before(async () => {
    node = await startSingleNode('sig', { interactive: false });
    ({ base, daemon } = node);
    pid = Number(readFileSync(join(base, 'run', 'ctdbd.pid'), 'utf8'));
    assert.ok(pid > 0, 'ctdbd wrote its pid file');
  });

  after(async () => {
    await node?.destroy();
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
