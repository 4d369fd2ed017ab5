// Periodic `monitor` events once the node is RUNNING: the first at once, then after 2 s, and
// the interval doubles up to MonitorInterval; after a health change it restarts at 5 s. CTDB
// waits 2 s before the first; we do not, because it cannot cost anything: a node starts
// UNHEALTHY, so a first monitor that fails (a service still coming up) changes nothing and the
// next follows 2 s later, while one that passes makes the node healthy 2 s sooner.
// A failing monitor sets UNHEALTHY, a passing one clears it; timeouts below
// MonitorTimeoutCount in a row change nothing. Skipped (and rescheduled) while in recovery,
// INACTIVE or not RUNNING.
import { NODE_FLAGS_INACTIVE, NodeFlag, RecoveryMode, Runstate } from '../protocol/constants.js';
import type { Ctdbd } from './ctdbd.js';

const ETIMEDOUT = 110;
const ECANCELED = 125;

export class Monitor {
  private timer: NodeJS.Timeout | undefined;
  private nextInterval = 2;
  private timeouts = 0;
  private stopped = false;

  constructor(private readonly d: Ctdbd) {}

  start(): void {
    this.stopped = false;
    this.nextInterval = 2;
    this.timer = setTimeout(() => void this.run(), 0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.nextInterval;
    this.nextInterval = Math.min(this.nextInterval * 2, this.d.tunables.value('MonitorInterval'));
    this.timer = setTimeout(() => void this.run(), delay * 1000);
  }

  private async run(): Promise<void> {
    const d = this.d;
    if (
      d.recmode !== RecoveryMode.NORMAL ||
      (d.nodeMap.self.flags & NODE_FLAGS_INACTIVE) !== 0 ||
      d.runstate !== Runstate.RUNNING
    ) {
      this.schedule();
      return;
    }
    const status = await d.runEvent('monitor', []);
    if (this.stopped) return;
    this.apply(status);
    this.schedule();
  }

  private apply(status: number): void {
    const d = this.d;
    if (status === ECANCELED) {
      d.log.notice('Monitoring event was cancelled');
      return;
    }
    const failed = status !== 0;
    if (status === ETIMEDOUT) {
      this.timeouts++;
      if (this.timeouts < d.tunables.value('MonitorTimeoutCount')) return;
    } else {
      this.timeouts = 0;
    }
    if (status === -1) {
      // The event could not be launched (e.g. refused): retry soon, no health change.
      this.nextInterval = 5;
      return;
    }
    const flags = d.nodeMap.self.flags;
    const unhealthy = (flags & NodeFlag.UNHEALTHY) !== 0;
    if (failed && !unhealthy) {
      d.log.notice('Node became UNHEALTHY. Ask recovery master to reallocate IPs');
      d.setSelfFlags(flags | NodeFlag.UNHEALTHY);
      d.requestTakeoverRun();
      d.notify('unhealthy');
      this.nextInterval = 5;
    } else if (!failed && unhealthy) {
      d.log.notice('Node became HEALTHY. Ask recovery master to reallocate IPs');
      d.setSelfFlags(flags & ~NodeFlag.UNHEALTHY);
      d.requestTakeoverRun();
      d.notify('healthy');
      this.nextInterval = 5;
    }
  }
}
