#!/usr/bin/env node
// ctdb_etcd_lock [-c FILE] [-v|-vv|-vvv]: a CTDB cluster mutex helper holding the lock in etcd v3.
// The logic lives in runtime/cluster-lock/helpers/etcd-helper.ts.
import { runEtcdHelper } from '../runtime/cluster-lock/helpers/etcd-helper.js';

runEtcdHelper(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ctdb_etcd_lock: ${err instanceof Error ? err.message : String(err)}\n`);
    process.stdout.write('3');
    process.exit(1);
  },
);
