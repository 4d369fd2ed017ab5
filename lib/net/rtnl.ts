// The process's one rtnetlink socket, opened on first use in the caller's network namespace
// and not keeping the event loop alive. Every lib/net module goes through `nl()`, which runs
// requests one at a time: the `netlink` package reassembles multipart replies per socket, not
// per request, so two dumps in flight at once corrupt each other ("Multipart message not
// terminated properly").
import { createRtNetlink, type RtNetlinkSocket } from 'netlink';

let socket: RtNetlinkSocket | undefined;
let queue: Promise<unknown> = Promise.resolve();

export function rtnl(): RtNetlinkSocket {
  if (socket === undefined) {
    socket = createRtNetlink();
    socket.socket.unref();
  }
  return socket;
}

/** Runs one request on the shared socket after every earlier one has finished. */
export function nl<T>(request: (s: RtNetlinkSocket) => Promise<T>): Promise<T> {
  const result = queue.then(() => request(rtnl()));
  queue = result.catch(() => undefined);
  return result;
}

/** Closes the shared socket (a later call opens a new one). */
export function closeRtnl(): void {
  socket?.socket.close();
  socket = undefined;
}
