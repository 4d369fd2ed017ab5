// The environment CTDB's functions establish for a script, with Debian's defaults: where the
// configuration lives (CTDB_BASE), the script state root, the helper binaries, the `ctdb`
// command itself.
export type ScriptEnv = Readonly<Record<string, string | undefined>>;

function value(env: ScriptEnv, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

/** CTDB_BASE (the configuration directory), default `/etc/ctdb`. */
export const ctdbBase = (env: ScriptEnv): string => value(env, 'CTDB_BASE', '/etc/ctdb');
/** CTDB_VARDIR, fixed to `/var/lib/ctdb` by CTDB's functions. */
export const ctdbVarDir = (env: ScriptEnv): string => value(env, 'CTDB_VARDIR', '/var/lib/ctdb');
/** CTDB_SCRIPT_VARDIR, default `/var/lib/ctdb/scripts`. */
export const ctdbScriptVarDir = (env: ScriptEnv): string =>
  value(env, 'CTDB_SCRIPT_VARDIR', '/var/lib/ctdb/scripts');
/** CTDB_HELPER_BINDIR, default `/usr/libexec/ctdb`. */
export const ctdbHelperBinDir = (env: ScriptEnv): string =>
  value(env, 'CTDB_HELPER_BINDIR', '/usr/libexec/ctdb');
/** CTDB_SYS_ETCDIR, default `/etc`. */
export const ctdbSysEtcDir = (env: ScriptEnv): string => value(env, 'CTDB_SYS_ETCDIR', '/etc');
/** The `ctdb` command: $CTDB, default `ctdb` (found on PATH). */
export const ctdbCommand = (env: ScriptEnv): string => value(env, 'CTDB', 'ctdb');
