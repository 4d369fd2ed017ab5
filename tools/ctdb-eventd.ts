#!/usr/bin/env node
// `ctdb-eventd [-P PID] [-S FD]`: the event daemon. All logic lives in runtime/eventd.
import { startEventd } from '../runtime/eventd/daemon.js';

const USAGE = `Usage: ctdb-eventd [OPTION...]
  -P, --pid=PID           pid to wait for
  -S, --startup-fd=FD     file descriptor to notify of successful start

Help options:
  -?, --help              Show this help message
      --usage             Display brief usage message
`;

function parseArgs(argv: readonly string[]): { parentPid?: number; startupFd?: number } | string {
  const out: { parentPid?: number; startupFd?: number } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let flag = a;
    let value: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      flag = a.slice(0, eq);
      value = a.slice(eq + 1);
    } else if (/^-[PS]./.test(a)) {
      flag = a.slice(0, 2);
      value = a.slice(2);
    }
    if (flag === '-?' || flag === '--help' || flag === '--usage') return USAGE;
    if (flag === '-P' || flag === '--pid' || flag === '-S' || flag === '--startup-fd') {
      value ??= argv[++i];
      if (value === undefined || !/^\d+$/.test(value))
        return `Invalid option ${a}: bad number\n${USAGE}`;
      if (flag === '-P' || flag === '--pid') out.parentPid = Number(value);
      else out.startupFd = Number(value);
      continue;
    }
    return `Invalid option ${a}: unknown option\n${USAGE}`;
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
if (typeof args === 'string') {
  process.stderr.write(args);
  process.exitCode = 1;
} else {
  startEventd({ parentPid: args.parentPid, startupFd: args.startupFd }).then(
    (d) => {
      void d.stopped.then(() => {
        // Scripts' worker threads and sockets are gone; leave promptly.
        setTimeout(() => process.exit(0), 50).unref();
      });
    },
    (err: unknown) => {
      process.stderr.write(`ctdb-eventd: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
