#!/usr/bin/env node
// ctdb_mutex_fcntl_helper FILE [RECHECK [PING_TIMEOUT]]: CTDB's fcntl cluster mutex helper.
// The logic lives in runtime/cluster-lock/helpers/fcntl-helper.ts. When built, the C program
// build/Release/ctdb_mutex_fcntl_helper (lib/native/mutex_fcntl_helper.c) is run instead.
// It ends with exitNow: a liveness probe may still be blocked in the kernel on a worker thread.
import { runFcntlHelper } from '../runtime/cluster-lock/helpers/fcntl-helper.js';
import { exitNow } from '../runtime/cluster-lock/native.js';

runFcntlHelper(process.argv.slice(2)).then(
  (code) => exitNow(code),
  (err: unknown) => {
    process.stderr.write(
      `ctdb_mutex_fcntl_helper: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(1);
  },
);
