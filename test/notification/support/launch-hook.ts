// Test launcher for notification hook modules: `node --import tsx launch-hook.ts <module>
// <event>`. It does what the installed `ctdb-eventscript` launcher does for a hook module.
import { runNotificationHookFile } from '../../../lib/eventscript/notification.js';

const [file, event] = process.argv.slice(2);
if (file === undefined || event === undefined) {
  process.stderr.write('usage: launch-hook.ts <module> <event>\n');
  process.exit(2);
}
process.exit(await runNotificationHookFile(file, event));
