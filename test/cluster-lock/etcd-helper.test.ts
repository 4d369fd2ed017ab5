// ctdb_etcd_lock against a real etcd (Debian's, on 127.0.0.1 with random ports), driven
// through the parent-side client (fixtures/hold.ts stands in for ctdbd).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { ourHelperCommand } from '../../runtime/cluster-lock/index.js';
import { EtcdServer, etcdUnavailable, makeTestCertificates } from '../support/etcd.js';
import { Proc, heldStatus, hold, killAll, timeUntil } from './util.js';

const skip = etcdUnavailable();
const helper = ourHelperCommand('ctdb_etcd_lock');
let etcd: EtcdServer;
let client: Etcd3;
let dir: string;

/** A config file for lock `name`, with a short lease so loss is seen quickly. */
function config(name: string, extra = ''): string {
  const file = join(dir, `${name}.conf`);
  writeFileSync(
    file,
    `hosts = ${etcd.clientUrl}\nname = ${name}\nlock_ttl = 4\nrefresh = 1\nread_timeout = 2\n${extra}`,
  );
  return file;
}

async function keyHeld(name: string): Promise<boolean> {
  return (await client.get(`/_locks/_ctdb/${name}`).string()) !== null;
}

async function tryOnce(conf: string): Promise<{ status: string; out: string }> {
  const p = new Proc([...helper, '-c', conf]);
  await timeUntil(() => p.stdout !== '' || !p.running, 30_000, 'a status byte');
  const status = p.stdout[0] ?? '';
  p.kill('SIGTERM');
  await p.exited;
  return { status, out: p.out };
}

describe('ctdb_etcd_lock', { skip: skip ?? false, timeout: 240_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctdb-ts-etcdlock-'));
    etcd = await EtcdServer.start();
    client = new Etcd3({ hosts: etcd.clientUrl });
  });
  after(async () => {
    killAll();
    client.close();
    await etcd.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('two contend, one wins; the other prints 1', async () => {
    const conf = config('contend');
    const a = hold([...helper, '-c', conf]);
    assert.equal((await heldStatus(a)).status, '0');
    assert.equal(await keyHeld('contend'), true);
    assert.equal((await tryOnce(conf)).status, '1');
    a.kill('SIGTERM');
    await a.waitFor(/^released$/m);
  });

  test('SIGTERM releases at once (the lease is revoked, the key is gone)', async () => {
    const conf = config('term');
    const a = hold([...helper, '-c', conf, '-vvv']);
    const { helperPid } = await heldStatus(a);
    process.kill(helperPid, 'SIGTERM');
    const ms = await timeUntil(async () => !(await keyHeld('term')), 3000, 'release after SIGTERM');
    console.log(`etcd: key gone ${ms.toFixed(0)} ms after SIGTERM (lease TTL 4000 ms)`);
    assert.ok(ms < 2500, `took ${ms} ms; ${a.out}`);
    await a.waitFor(/^lost /m);
    assert.equal((await tryOnce(conf)).status, '0');
    a.kill('SIGKILL');
  });

  test("kill -9 of the holder's parent releases at once; another takes it immediately", async () => {
    const conf = config('parent', 'lock_ttl = 9\nrefresh = 2\n');
    const a = hold([...helper, '-c', conf]);
    assert.equal((await heldStatus(a)).status, '0');
    a.kill('SIGKILL');
    const ms = await timeUntil(
      async () => !(await keyHeld('parent')),
      8000,
      'release after the parent died',
    );
    console.log(
      `etcd: key gone ${ms.toFixed(0)} ms after kill -9 of the parent (lease TTL 9000 ms)`,
    );
    assert.ok(ms < 2500, `took ${ms} ms`);
    const b = hold([...helper, '-c', conf]);
    assert.equal((await heldStatus(b)).status, '0');
    b.kill('SIGTERM');
    await b.waitFor(/^released$/m);
  });

  test('etcd stopped while held: the helper exits and the parent reports the lock lost', async () => {
    const conf = config('outage');
    const a = hold([...helper, '-c', conf]);
    const { helperPid } = await heldStatus(a);
    const t0 = Date.now();
    await etcd.stop();
    try {
      await a.waitFor(/^lost /m, 15_000);
      console.log(
        `etcd: lock reported lost ${Date.now() - t0} ms after etcd stopped (ttl 4 s, refresh 1 s)`,
      );
      assert.match(a.out, /lock lost/);
      await timeUntil(
        () => {
          try {
            process.kill(helperPid, 0);
            return false;
          } catch {
            return true;
          }
        },
        5000,
        'helper exit',
      );
    } finally {
      await etcd.restart();
      a.kill('SIGKILL');
    }
  });

  test('etcd unreachable: 3 with a message', async () => {
    const file = join(dir, 'down.conf');
    writeFileSync(file, 'host = 127.0.0.1\nport = 1\nread_timeout = 1\nname = down\n');
    const r = await tryOnce(file);
    assert.equal(r.status, '3');
    assert.match(r.out, /cannot take \/_locks\/_ctdb\/down/);
  });

  test('a malformed config prints 3 and names the file and line', async () => {
    const file = join(dir, 'bad.conf');
    writeFileSync(file, `hosts = ${etcd.clientUrl}\n# fine\nlock_ttl: 9\n`);
    const r = await tryOnce(file);
    assert.equal(r.status, '3');
    assert.ok(r.out.includes(`${file}:3: expected 'key = value'`), r.out);
  });

  test('etcd authentication: the right password takes the lock, a wrong one gives 3', async () => {
    for (const args of [
      ['user', 'add', 'root:rootpw'],
      ['auth', 'enable'],
    ]) {
      const r = await etcd.etcdctl(args);
      assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
    }
    try {
      // etcd checks passwords with bcrypt: slow on a loaded machine, so no 1 s deadline here.
      const good = config('auth', 'username = root\npassword = rootpw\nread_timeout = 10\n');
      const a = hold([...helper, '-c', good]);
      assert.equal((await heldStatus(a)).status, '0', a.out);
      a.kill('SIGTERM');
      await a.waitFor(/^released$/m);
      const bad = config('authbad', 'username = root\npassword = wrong\nread_timeout = 10\n');
      const r = await tryOnce(bad);
      assert.equal(r.status, '3');
      assert.match(r.out, /cannot take/);
    } finally {
      const r = await etcd.etcdctl(['--user', 'root:rootpw', 'auth', 'disable']);
      assert.equal(r.code, 0, r.stderr);
    }
  });
});

describe(
  'ctdb_etcd_lock over TLS with client certificates',
  { skip: skip ?? false, timeout: 120_000 },
  () => {
    let tlsEtcd: EtcdServer;
    let tlsDir: string;
    let certs: ReturnType<typeof makeTestCertificates>;
    before(async () => {
      tlsDir = mkdtempSync(join(tmpdir(), 'ctdb-ts-etcdtls-'));
      certs = makeTestCertificates(tlsDir);
      tlsEtcd = await EtcdServer.start({
        tls: {
          cert: certs.serverCert,
          key: certs.serverKey,
          ca: certs.ca,
          clientCert: certs.clientCert,
          clientKey: certs.clientKey,
        },
      });
    });
    after(async () => {
      killAll();
      await tlsEtcd.destroy();
      rmSync(tlsDir, { recursive: true, force: true });
    });

    test('takes the lock with ca_cert, cert and key; without a client certificate: 3', async () => {
      const base = `hosts = ${tlsEtcd.clientUrl}\nname = tls\nca_cert = ${certs.ca}\n`;
      const good = join(tlsDir, 'good.conf');
      writeFileSync(good, `${base}cert = ${certs.clientCert}\nkey = ${certs.clientKey}\n`);
      const a = hold([...helper, '-c', good]);
      assert.equal((await heldStatus(a)).status, '0');
      const v = await tlsEtcd.etcdctl(['get', '--print-value-only', '/_locks/_ctdb/tls']);
      assert.match(v.stdout, /pid=\d+/);
      a.kill('SIGTERM');
      await a.waitFor(/^released$/m);
      const bad = join(tlsDir, 'bad.conf');
      writeFileSync(bad, `${base}read_timeout = 2\n`);
      assert.equal((await tryOnce(bad)).status, '3');
    });
  },
);
