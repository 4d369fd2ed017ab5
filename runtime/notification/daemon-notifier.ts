// How ctdbd sends a notification: CTDB runs `$CTDB_BASE/notify.sh EVENT` when it exists (the
// shipped one runs every executable in events/notification/); without it, we run that folder's
// scripts directly. Either way it is fire-and-forget: the caller never waits.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { notify, type NotificationEventName, type NotifyLogger } from './notify.js';

export type DaemonNotifier = (event: NotificationEventName) => void;

export function daemonNotifier(
  etcDir: string,
  log: NotifyLogger,
  env: NodeJS.ProcessEnv,
): DaemonNotifier {
  const notifySh = join(etcDir, 'notify.sh');
  return (event) => {
    let script: string | undefined;
    try {
      accessSync(notifySh, constants.X_OK);
      script = notifySh;
    } catch {
      script = undefined;
    }
    const opts = { log, env, dir: join(etcDir, 'events', 'notification') };
    notify(event, script === undefined ? opts : { ...opts, script });
  };
}
