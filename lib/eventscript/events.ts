// The one table of CTDB events: name, positional arguments, who sends it and what it is for.
// Parsing, validation, help text and the hook types of defineEventScript all derive from it.

/** How an event argument is typed once parsed. */
export type ArgKind = 'iface' | 'ip' | 'maskbits';

export interface EventSpec {
  /** Positional argument names, in order, as scripts receive them after the event name. */
  readonly args: readonly (readonly [name: string, kind: ArgKind])[];
  /** True for events ctdbd never sends; only an admin runs them (`ctdb event run`). */
  readonly adminOnly: boolean;
  readonly summary: string;
}

const ipArgs = [
  ['iface', 'iface'],
  ['ip', 'ip'],
  ['maskbits', 'maskbits'],
] as const;

export const EVENTS = {
  init: { args: [], adminOnly: false, summary: 'once at daemon start, before the transport is up' },
  setup: { args: [], adminOnly: false, summary: 'after the transport and databases are set up' },
  startup: {
    args: [],
    adminOnly: false,
    summary: 'after the first recovery; retried every 5 s until it passes',
  },
  monitor: {
    args: [],
    adminOnly: false,
    summary: 'periodic health check; a failure makes the node UNHEALTHY',
  },
  startrecovery: { args: [], adminOnly: false, summary: 'at the start of each database recovery' },
  recovered: { args: [], adminOnly: false, summary: 'after a database recovery' },
  takeip: { args: ipArgs, adminOnly: false, summary: 'a public address is to be hosted on IFACE' },
  releaseip: {
    args: ipArgs,
    adminOnly: false,
    summary: 'a public address is to be released from IFACE',
  },
  updateip: {
    args: [
      ['oldIface', 'iface'],
      ['newIface', 'iface'],
      ['ip', 'ip'],
      ['maskbits', 'maskbits'],
    ],
    adminOnly: false,
    summary: 'a hosted public address moves from OLDIFACE to NEWIFACE',
  },
  ipreallocated: {
    args: [],
    adminOnly: false,
    summary: 'last step of every takeover run, on every node',
  },
  shutdown: { args: [], adminOnly: false, summary: 'when the daemon shuts down' },
  updatenatgw: {
    args: [],
    adminOnly: true,
    summary: 'reapply the NAT gateway configuration (11.natgw)',
  },
  removenatgw: {
    args: [],
    adminOnly: true,
    summary: 'remove the NAT gateway configuration (11.natgw)',
  },
  reconfigure: { args: [], adminOnly: true, summary: 'reconfigure a service (13.per_ip_routing)' },
} as const satisfies Record<string, EventSpec>;

export type EventName = keyof typeof EVENTS;

export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(EVENTS, name);
}

type ArgValue<K extends ArgKind> = K extends 'maskbits' ? number : string;

/** The typed argument object a hook for event E receives, e.g. `{ iface, ip, maskbits }`. */
export type EventArgs<E extends EventName> = {
  -readonly [A in (typeof EVENTS)[E]['args'][number] as A[0]]: ArgValue<A[1]>;
};

/** Raised when an event's arguments do not match the table. */
export class EventArgumentError extends Error {
  constructor(
    readonly event: string,
    message: string,
  ) {
    super(message);
    this.name = 'EventArgumentError';
  }
}

/**
 * Parses the positional words that follow an event name (as a script's argv gives them).
 * The message for a wrong count is the one CTDB's `ctdb_check_args` prints.
 */
export function parseEventArgs<E extends EventName>(
  event: E,
  words: readonly string[],
): EventArgs<E> {
  const spec: EventSpec = EVENTS[event];
  if (words.length !== spec.args.length && spec.args.length > 0) {
    throw new EventArgumentError(
      event,
      spec.args.length === 3
        ? 'ERROR: must supply interface, IP and maskbits'
        : 'ERROR: must supply old interface, new interface, IP and maskbits',
    );
  }
  const out: Record<string, string | number> = {};
  for (const [i, [name, kind]] of spec.args.entries()) {
    const word = words[i] ?? '';
    if (kind === 'maskbits') {
      const bits = Number(word);
      if (!/^\d+$/.test(word) || bits > 128) {
        throw new EventArgumentError(event, `ERROR: invalid maskbits '${word}' for ${event}`);
      }
      out[name] = bits;
    } else {
      out[name] = word;
    }
  }
  return out as EventArgs<E>;
}
