// The real backings of NodeIps' interfaces, for ctdbd to pass in: the event daemon for the IP
// events, the kernel's address table (netlink) for "is this address here", and lib/neighbours
// for gratuitous ARP / neighbour advertisements with tickle ACKs.
import { holdsAddress } from '../../lib/net/local-address.js';
import { announceAddress } from '../../lib/neighbours/index.js';
import type { EventdClient } from '../eventd/client.js';
import type { Announcer, EventRunner, KernelAddresses } from './node-ips.js';

/**
 * IP events through the event daemon (component `legacy`, arguments space-separated). The
 * timeout is read per run so a changed TakeoverTimeout tunable applies at once.
 */
export function eventdRunner(
  client: Pick<EventdClient, 'run'>,
  timeoutSeconds: () => number,
): EventRunner {
  return {
    run: (event, args) =>
      client.run('legacy', event, args.length === 0 ? null : args.join(' '), timeoutSeconds()),
  };
}

/**
 * The kernel's view; `checked` false (CTDB_TEST_MODE) keeps addresses logical only. One
 * rtnetlink dump in the rawnet addon per check: ctdbd need not carry the netlink package
 * (≈ 10 MB of JavaScript) for it.
 */
export function kernelAddresses(checked: boolean): KernelAddresses {
  return {
    checked,
    hasAddress: (address) => {
      try {
        return Promise.resolve(checked && holdsAddress(address));
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}

/** Announcements with lib/neighbours; failures (no CAP_NET_RAW, no such iface) go to onError. */
export function neighboursAnnouncer(onError: (err: unknown) => void): Announcer {
  return {
    start(iface, address, tickles) {
      try {
        return announceAddress(iface, address, { tickles, onError });
      } catch (err) {
        onError(err);
        return { stop: () => undefined };
      }
    },
  };
}

/** No announcements at all (test mode, where addresses are not on any interface). */
export const silentAnnouncer: Announcer = { start: () => ({ stop: () => undefined }) };
