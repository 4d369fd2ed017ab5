// Which module implements which `ctdb` command. Modules are imported lazily so a command only
// pays for the code it uses. One line per command; keep the groups together.
import type { Command, CommandModule } from './types.js';

const modules = {
  event: () => import('./event-commands.js') as Promise<CommandModule>,
  node: () => import('./node-commands.js') as Promise<CommandModule>,
  ip: () => import('./ip-commands.js') as Promise<CommandModule>,
  group: () => import('./group-commands.js') as Promise<CommandModule>,
} as const;

type ModuleName = keyof typeof modules;

/** Command name → the module implementing it. */
export const COMMAND_INDEX: Readonly<Record<string, ModuleName>> = {
  // the event daemon
  event: 'event',
  scriptstatus: 'event',
  enablescript: 'event',
  disablescript: 'event',
  // nodes, cluster state, tunables
  version: 'node',
  status: 'node',
  nodestatus: 'node',
  listnodes: 'node',
  pnn: 'node',
  uptime: 'node',
  ping: 'node',
  runstate: 'node',
  getvar: 'node',
  setvar: 'node',
  listvars: 'node',
  getcapabilities: 'node',
  setleaderrole: 'node',
  setlmasterrole: 'node',
  disable: 'node',
  enable: 'node',
  stop: 'node',
  continue: 'node',
  ban: 'node',
  unban: 'node',
  getpid: 'node',
  leader: 'node',
  getdebug: 'node',
  setdebug: 'node',
  reloadnodes: 'node',
  shutdown: 'node',
  recover: 'node',
  getreclock: 'node',
  // public addresses and TCP
  ip: 'ip',
  ipinfo: 'ip',
  ifaces: 'ip',
  setifacelink: 'ip',
  moveip: 'ip',
  addip: 'ip',
  delip: 'ip',
  reloadips: 'ip',
  ipreallocate: 'ip',
  sync: 'ip',
  gratarp: 'ip',
  tickle: 'ip',
  gettickles: 'ip',
  addtickle: 'ip',
  deltickle: 'ip',
  checktcpport: 'ip',
  // NAT gateway and LVS groups
  natgw: 'group',
  lvs: 'group',
};

/** Loads the implementation of `name`, or returns undefined for an unknown command. */
export async function findCommand(name: string): Promise<Command | undefined> {
  const moduleName = COMMAND_INDEX[name];
  if (moduleName === undefined) return undefined;
  let mod: CommandModule;
  try {
    mod = await modules[moduleName]();
  } catch (err) {
    // A command group that is not built yet behaves like an unknown command.
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
  return mod.commands.find((c) => c.name === name);
}
