// The notification hook API (lib/eventscript/notification.ts): definition checks, options
// from script.options and <name>.options, which events run, failures and the deadline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Writable } from 'node:stream';
import {
  defineNotificationHook,
  NotificationHookDefinitionError,
  runNotificationHook,
  type NotificationEvent,
} from '../../lib/eventscript/notification.js';
import { string, yesNo } from '../../lib/options/index.js';

function memoryLogger(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

describe('notification hook API', () => {
  let base: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'h7-hookapi-'));
    mkdirSync(join(base, 'events', 'notification'), { recursive: true });
  });
  after(() => {
    rmSync(base, { recursive: true, force: true });
  });

  test('unknown events and missing notify are rejected at definition', () => {
    assert.throws(
      () =>
        defineNotificationHook({
          events: ['unhealthy', 'degraded' as NotificationEvent],
          notify: () => undefined,
        }),
      NotificationHookDefinitionError,
    );
    assert.throws(
      () => defineNotificationHook({} as Parameters<typeof defineNotificationHook>[0]),
      NotificationHookDefinitionError,
    );
  });

  test('options: environment, then script.options, then <name>.options', async () => {
    writeFileSync(join(base, 'script.options'), 'MY_TARGET=from-script-options\nMY_FLAG=no\n');
    writeFileSync(join(base, 'events', 'notification', 'demo.options'), 'MY_TARGET="from demo"\n');
    const seen: unknown[] = [];
    const hook = defineNotificationHook({
      events: ['healthy'],
      options: { MY_TARGET: string('x', 'target'), MY_FLAG: yesNo(true, 'flag') },
      notify(event, ctx) {
        seen.push([event, ctx.options.MY_TARGET, ctx.options.MY_FLAG, ctx.scriptName]);
      },
    });
    const { log } = memoryLogger();
    const env = { CTDB_BASE: base, MY_FLAG: 'yes' };
    assert.equal(
      await runNotificationHook(hook, { event: 'healthy', scriptName: 'demo', env, log }),
      0,
    );
    // Not handled, and unknown to CTDB: both succeed without running the hook.
    assert.equal(
      await runNotificationHook(hook, { event: 'startup', scriptName: 'demo', env, log }),
      0,
    );
    assert.equal(
      await runNotificationHook(hook, { event: 'bogus', scriptName: 'demo', env, log }),
      0,
    );
    assert.deepEqual(seen, [['healthy', 'from demo', false, 'demo']]);
  });

  test('a bad option value fails the hook with the file and line', async () => {
    writeFileSync(join(base, 'events', 'notification', 'bad.options'), '\nMY_FLAG=perhaps\n');
    const hook = defineNotificationHook({
      options: { MY_FLAG: yesNo(true, 'flag') },
      notify: () => undefined,
    });
    const { log, lines } = memoryLogger();
    const env = { CTDB_BASE: base };
    assert.equal(
      await runNotificationHook(hook, { event: 'init', scriptName: 'bad', env, log }),
      1,
    );
    assert.match(lines.join(''), /bad\.options:2: MY_FLAG: expected yes or no/);
  });

  test('a throw is logged; a hook that ignores its deadline is abandoned at it', async () => {
    const { log, lines } = memoryLogger();
    const env = { CTDB_BASE: base };
    const failing = defineNotificationHook({
      notify: () => {
        throw new Error('receiver said no');
      },
    });
    assert.equal(
      await runNotificationHook(failing, { event: 'setup', scriptName: 'f', env, log }),
      1,
    );
    assert.match(lines.join(''), /f: setup notification failed: receiver said no/);

    let aborted = false;
    const stuck = defineNotificationHook({
      notify: (_e, ctx) =>
        new Promise<void>(() => {
          ctx.signal.addEventListener('abort', () => (aborted = true));
        }),
    });
    const t0 = performance.now();
    const code = await runNotificationHook(stuck, {
      event: 'unhealthy',
      scriptName: 's',
      env,
      log,
      timeoutMs: 300,
    });
    const took = performance.now() - t0;
    assert.equal(code, 1);
    assert.ok(took >= 290 && took < 2000, `returned after ${took} ms`);
    assert.equal(aborted, true, 'the hook was told through its signal');
    assert.match(lines.join(''), /timed out after 300 ms/);
  });
});
