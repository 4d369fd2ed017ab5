// The eventscript API, importable by name from any script: `import { defineEventScript } from
// 'ctdb-ts/eventscript'` (the daemon and the `ctdb-eventscript` launcher resolve that name to
// this package, so admin scripts outside it need no node_modules). Scripts inside the package
// may import the same modules by relative path.
export {
  defineEventScript,
  isEventScript,
  EventScriptDefinitionError,
  type EventContext,
  type EventScript,
  type EventScriptDefinition,
  type Hook,
  type HookResult,
  type Hooks,
  type OptionSpec,
  type OptionSpecs,
  type OptionValues,
} from './define.js';
export {
  EVENTS,
  EVENT_NAMES,
  EventArgumentError,
  isEventName,
  parseEventArgs,
  type EventArgs,
  type EventName,
} from './events.js';
export { EVENTSCRIPT_SHEBANG } from './shebang.js';
export {
  integer,
  optionalString,
  parseThresholds,
  string,
  thresholds,
  yesNo,
  type Thresholds,
} from '../options/kinds.js';
export {
  defineNotificationHook,
  isNotificationHook,
  NOTIFICATION_EVENTS,
  type NotificationContext,
  type NotificationEvent,
  type NotificationHook,
} from './notification.js';
