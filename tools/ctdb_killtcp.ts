#!/usr/bin/env node
// `ctdb_killtcp IFACE [SRC DST]`: a drop-in for CTDB's helper of the same name, so that CTDB's
// shell 10.interface can use ours. Connections come from the arguments or, one `SRC DST` per
// line, from stdin (SRC = client, DST = server; the server side's socket is reset). Exit 0 once
// every connection was reset or the attempts ran out, 1 for usage, 255 on failure — as CTDB's.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  ConnectionParseError,
  RawNetError,
  parseConnectionList,
  parseEndpoint,
  resetConnections,
  type Connection,
} from '../lib/tcp/index.js';

// CTDB's debug levels, by name or number; unset or unknown means ERROR only.
const LEVELS = ['ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'] as const;

function debugLevel(text: string | undefined): number {
  if (text === undefined) return 0;
  const byName = LEVELS.indexOf(text.toUpperCase() as (typeof LEVELS)[number]);
  if (byName >= 0) return byName;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, LEVELS.length - 1) : 0;
}

function errnoText(err: unknown): string {
  if (err instanceof RawNetError) return err.description;
  return err instanceof Error ? err.message : String(err);
}

async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const level = debugLevel(env.CTDB_DEBUGLEVEL);
  const say = (lvl: number, text: string): void => {
    if (lvl <= level) process.stderr.write(`${text}\n`);
  };
  const prog = process.argv[1] ?? 'ctdb_killtcp';
  if (argv.length !== 1 && argv.length !== 3) {
    process.stdout.write(`usage: ${prog} <interface> [ <srcip:port> <dstip:port> ]\n`);
    return 1;
  }
  const [iface = '', client, server] = argv;

  let pairs: Connection[];
  if (client !== undefined && server !== undefined) {
    const ends: { ip: string; port: number }[] = [];
    for (const text of [client, server]) {
      try {
        ends.push(parseEndpoint(text));
      } catch {
        say(0, `Bad IP:port '${text}'`);
        return 255;
      }
    }
    const [src, dst] = ends;
    if (src === undefined || dst === undefined) return 255;
    pairs = [{ src, dst }];
  } else {
    try {
      pairs = parseConnectionList(readFileSync(0, 'utf8'));
    } catch (err) {
      if (!(err instanceof ConnectionParseError)) throw err;
      say(0, 'Unable to parse connections (Invalid argument)');
      return 255;
    }
  }
  if (pairs.length === 0) return 0;

  try {
    const result = await resetConnections(pairs, {
      // CTDB's helper reports a failed send as these two lines and carries on.
      onSendError: (kind, _pair, err) => {
        say(0, `Failed sendto (${errnoText(err)})`);
        say(
          0,
          kind === 'tickle'
            ? 'reset_connections_tickle_connection: Error sending tickle ACK'
            : 'reset_connections_capture_tcp_handler: Error sending TCP RST for connection',
        );
      },
      log: {
        error: (m) => {
          say(0, m);
        },
        info: (m) => {
          say(3, m);
        },
        debug: (m) => {
          say(4, m);
        },
      },
    });
    say(3, `${basename(prog)}: reset ${result.reset}/${result.attempted} connections`);
    return 0;
  } catch (err) {
    if (err instanceof RawNetError && err.operation.startsWith('socket')) {
      say(0, 'ctdb_sys_open_capture_socket: Failed to open raw socket');
    }
    say(0, `Failed to open capture socket on iface '${iface}' (${errnoText(err)})`);
    say(0, 'Failed to kill connections (Input/output error)');
    return 255;
  }
}

run(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ctdb_killtcp: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 255;
  },
);
