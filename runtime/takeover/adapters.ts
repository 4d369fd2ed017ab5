// The real backings of NodeIps' interfaces, for ctdbd to pass in: the event daemon for the IP
// events, the kernel's address table (netlink) for "is this address here", and lib/neighbours
// for gratuitous ARP / neighbour advertisements with tickle ACKs.
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
 * The kernel's view; `checked` false (CTDB_TEST_MODE) keeps addresses logical only. The netlink
 * code (≈ 10 MB of JavaScript) loads at the first check, so a test-mode daemon never loads it.
 */
export function kernelAddresses(checked: boolean): KernelAddresses {
  return {
    checked,
    hasAddress: async (address) => {
      if (!checked) return false;
      const { findAddress } = await import('../../lib/net/index.js');
      return (await findAddress(address)) !== undefined;
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
