// Text the ctdb-event tool prints, exactly as CTDB 4.17 prints it (event/event_tool.c):
// usage, the per-script status lines, and C's ctime().
import { strerror, Errno } from './errno.js';
import type { ScriptStatus, Timeval } from './protocol.js';

interface ToolCommand {
  readonly name: string;
  readonly args: string;
  readonly msg: string;
}

export const TOOL_COMMANDS: readonly ToolCommand[] = [
  { name: 'run', args: '<timeout> <component> <event> <args>', msg: 'Run an event' },
  { name: 'status', args: '<component> <event>', msg: 'Get status of an event' },
  { name: 'script list', args: '<component>', msg: 'List event scripts' },
  { name: 'script enable', args: '<component> <script>', msg: 'Enable an event script' },
  { name: 'script disable', args: '<component> <script>', msg: 'Disable an event script' },
];

const OPTION_LINE = '  -d, --debug=ERROR|WARNING|NOTICE|INFO|DEBUG     debug level';

/** The full usage (CTDB prints it twice when no command matches). */
export function fullUsage(): string {
  const width = Math.max(...TOOL_COMMANDS.map((c) => `${c.name} ${c.args}`.length));
  const lines = [
    'Usage: ctdb-event [<options>] <command> [<args>]',
    '',
    'Help Options:',
    '  -h, --help                                      Show this help message',
    '',
    'Options:',
    OPTION_LINE,
    '',
    'Commands:',
    ...TOOL_COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(width)}     ${c.msg}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The usage for one command, printed when its argument count is wrong. */
export function commandUsage(name: string): string {
  const c = TOOL_COMMANDS.find((x) => x.name === name);
  const line = c === undefined ? '' : `  ${c.name} ${c.args}     ${c.msg}\n`;
  return (
    'Usage: ctdb-event [-h] [-h|--help]\n' +
    '        [-d|--debug=ERROR|WARNING|NOTICE|INFO|DEBUG] <command> [<args>]\n\n' +
    line
  );
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C's ctime(): `Sun Nov 22 00:54:44 2026\n` in local time. */
export function ctime(sec: number): string {
  const d = new Date(sec * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}\n`
  );
}

function delta(end: Timeval, begin: Timeval): number {
  return end.sec - begin.sec + (end.usec - begin.usec) * 1e-6;
}

/** One script's status lines, CTDB 4.17 style (OUTPUT only for failures, printed raw). */
export function statusLine(s: ScriptStatus): string {
  const name = s.name.padEnd(20);
  let out: string;
  if (s.result === -Errno.ETIMEDOUT) out = `${name} ${'TIMEDOUT'.padEnd(10)} ${ctime(s.begin.sec)}`;
  else if (s.result === -Errno.ENOEXEC) out = `${name} ${'DISABLED'.padEnd(10)}\n`;
  else if (s.result < 0) out = `${name} ${'CANNOT RUN'.padEnd(10)} (${strerror(-s.result)})\n`;
  else
    out = `${name} ${(s.result === 0 ? 'OK' : 'ERROR').padEnd(10)} ${delta(s.end, s.begin).toFixed(3)} ${ctime(s.begin.sec)}`;
  if (s.result !== 0 && s.result !== -Errno.ENOEXEC) out += `  OUTPUT: ${s.output ?? ''}\n`;
  return out;
}
