// The shebang launcher `ctdb-eventscript FILE EVENT ARGS…` as any event daemon runs it: exit
// status, output, typed arguments, options, pnn() through $CTDB cached in my-pnn, stateDir().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFixture, run, TS_HEADER } from './support.js';

test('ctdb-eventscript runs hooks with CTDB exit semantics', async () => {
  const fx = makeFixture();
  try {
    const ctdbStub = fx.write(
      join(fx.base, 'bin', 'fake-ctdb'),
      '#!/bin/sh\n[ "$1" = pnn ] && echo 3\n',
    );
    const script = fx.write(
      '20.ctx.script',
      `${TS_HEADER}import { yesNo } from 'ctdb-ts/eventscript';
export default defineEventScript({
  options: { CTDB_LOUD: yesNo(false, 'say more') },
  async monitor(_a, ctx) {
    const pnn = await ctx.pnn();
    const dir = await ctx.stateDir();
    ctx.print(\`pnn=\${pnn} loud=\${ctx.options.CTDB_LOUD} dir=\${dir}\\n\`);
  },
  releaseip({ iface, ip, maskbits }, ctx) { ctx.print(\`\${iface} \${ip} \${maskbits + 1}\\n\`); return 3; },
  recovered() { throw new Error('recovery check failed'); },
});
`,
    );
    writeFileSync(join(fx.base, 'script.options'), 'CTDB_LOUD=yes\n');
    const env = { ...fx.env, CTDB: ctdbStub };
    const mon = await run(script, ['monitor'], env);
    assert.deepEqual(
      [mon.code, mon.stdout],
      [0, `pnn=3 loud=true dir=${join(fx.base, 'var', 'service', 'ctx')}\n`],
    );
    assert.equal(readFileSync(join(fx.base, 'var', 'my-pnn'), 'utf8'), '3\n');
    assert.ok(existsSync(join(fx.base, 'var', 'service', 'ctx')));

    const rel = await run(script, ['releaseip', 'eth1', '10.0.0.9', '16'], env);
    assert.deepEqual([rel.code, rel.stdout], [3, 'eth1 10.0.0.9 17\n']);
    const bad = await run(script, ['releaseip', 'eth1'], env);
    assert.deepEqual(
      [bad.code, bad.stdout],
      [1, 'ERROR: must supply interface, IP and maskbits\n'],
    );
    const thrown = await run(script, ['recovered'], env);
    assert.deepEqual([thrown.code, thrown.stdout], [1, 'recovery check failed\n']);
    const unhandled = await run(script, ['startup'], env);
    assert.deepEqual([unhandled.code, unhandled.stdout], [0, '']);
    const unknownEvent = await run(script, ['frobnicate'], env);
    assert.deepEqual([unknownEvent.code, unknownEvent.stdout], [0, '']);

    const typo = fx.write(
      '21.typo.script',
      `${TS_HEADER}export default defineEventScript({ monitr() {} });\n`,
    );
    const t = await run(typo, ['monitor'], env);
    assert.equal(t.code, 1);
    assert.match(t.stderr, /unknown hook 'monitr'/);
  } finally {
    fx.cleanup();
  }
});
