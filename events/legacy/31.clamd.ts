#!/usr/bin/env ctdb-eventscript
// 31.clamd: runs the ClamAV daemon under CTDB, as CTDB 4.17's script does. The service is
// `clamd` on Red Hat style systems and `clamav` elsewhere; startup restarts it; monitor fails
// when nothing listens on CTDB_CLAMD_SOCKET, with CTDB's messages.
//
// shutdown deliberately does nothing. CTDB's script calls `service "clamav"_stop` — one word,
// no operation — so the service is never stopped there (the tool only complains about an
// unknown service `clamav_stop`); we keep that behaviour, without the complaint, rather than
// start stopping clamd at shutdown behind the admin's back.
//
// Beyond CTDB: with CTDB_CLAMD_PING=yes, monitor also sends clamd's `zPING` command and
// requires `PONG`, catching a daemon that still listens but no longer answers.
import { access } from 'node:fs/promises';
import { connect } from 'node:net';
import { defineEventScript, type EventContext } from '../../lib/eventscript/define.js';
import { ScriptExit } from '../../lib/errors/index.js';
import { optionalString, yesNo } from '../../lib/options/kinds.js';
import { isUnixSocketListening, service } from '../../lib/services/index.js';

const options = {
  CTDB_CLAMD_SOCKET: optionalString('Unix socket clamd listens on (required for monitor).'),
  CTDB_CLAMD_PING: yesNo(false, 'Also require an answer to PING on the socket (not in CTDB).'),
};

type Ctx = EventContext<typeof options>;

const PING_TIMEOUT_MS = 5000;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * CTDB's `detect_init_style`: CTDB_INIT_STYLE from the environment (the script detects before
 * it loads its options), else suse if /sbin/startproc exists, debian if
 * /sbin/start-stop-daemon does, else redhat.
 */
export async function initStyle(
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const set = env.CTDB_INIT_STYLE;
  if (set !== undefined && set !== '') return set;
  if (await exists('/sbin/startproc')) return 'suse';
  if (await exists('/sbin/start-stop-daemon')) return 'debian';
  return 'redhat';
}

export async function serviceName(
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  return (await initStyle(env)) === 'redhat' ? 'clamd' : 'clamav';
}

/** Sends `zPING\0` and resolves true on `PONG`, false on anything else, an error or timeout. */
export function clamdAnswersPing(socket: string, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = connect(socket);
    let reply = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      conn.destroy();
      resolve(ok);
    };
    const onAbort = (): void => {
      done(false);
    };
    const timer = setTimeout(() => {
      done(false);
    }, PING_TIMEOUT_MS);
    signal.addEventListener('abort', onAbort, { once: true });
    conn.on('connect', () => conn.write('zPING\0'));
    conn.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.startsWith('PONG')) done(true);
      else if (!'PONG'.startsWith(reply)) done(false);
    });
    conn.on('error', () => {
      done(false);
    });
    conn.on('close', () => {
      done(/^PONG/.test(reply));
    });
  });
}

export default defineEventScript({
  description: 'Start the ClamAV daemon and monitor its Unix socket.',
  options,

  async startup(_args, ctx: Ctx) {
    const name = await serviceName(ctx.env);
    try {
      await service(name, 'stop', { signal: ctx.signal });
    } catch {
      // CTDB discards the stop's output and status
    }
    try {
      const r = await service(name, 'start', { signal: ctx.signal });
      if (r !== undefined) ctx.print(r.stdout + r.stderr);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; exitCode?: number | null };
      throw new ScriptExit(
        `${e.stdout ?? ''}${e.stderr ?? ''}`.trimEnd() ||
          `service ${name} start failed: ${String(err)}`,
        typeof e.exitCode === 'number' && e.exitCode > 0 ? e.exitCode : 1,
      );
    }
  },

  shutdown() {
    // See the header: CTDB's script never stops clamd here.
  },

  async monitor(_args, ctx: Ctx) {
    const socket = ctx.options.CTDB_CLAMD_SOCKET;
    if (socket === undefined)
      throw new ScriptExit('ERROR: ctdb_check_unix_socket() requires socket path');
    const name = await serviceName(ctx.env);
    if (!(await isUnixSocketListening(socket)))
      throw new ScriptExit(`ERROR: ${name} not listening on ${socket}`);
    if (ctx.options.CTDB_CLAMD_PING && !(await clamdAnswersPing(socket, ctx.signal)))
      throw new ScriptExit(`ERROR: ${name} not answering PING on ${socket}`);
  },
});
