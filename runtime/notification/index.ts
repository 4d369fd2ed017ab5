// Notifications (init, setup, startup, healthy, unhealthy) sent to the scripts in
// events/notification, in the background, as ctdbd does through notify.sh. The event table
// itself is lib/eventscript/notification.ts (NOTIFICATION_EVENTS).
export {
  DEFAULT_NOTIFY_TIMEOUT_MS,
  enabledNotificationScripts,
  notify,
  type NotificationEventName,
  type NotificationRun,
  type NotifyLogger,
  type NotifyOptions,
  type ScriptOutcome,
} from './notify.js';
export { daemonNotifier, type DaemonNotifier } from './daemon-notifier.js';
