// One ctdbd node of ours in its own network namespace, started and waited for until healthy:
// the fixture of the tests that need a real daemon but no cluster.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { helperCommand } from '../../runtime/paths/index.js';
import { healthy, nodeEnv, probe, socketOf, writeNodeConfig } from '../../tools/local-cluster.js';
import { NetLab, type LabProcess } from './netlab.js';

export interface SingleNode {
  readonly lab: NetLab;
  /** The node's CTDB_BASE. */
  readonly base: string;
  readonly daemon: LabProcess;
  /** Stops the daemon, removes the namespace and the files. */
  destroy(): Promise<void>;
}

export interface SingleNodeOptions {
  /** Added to the node's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Run with `-i` (log to stderr, the default) or as the background copy (log to its file). */
  readonly interactive?: boolean;
}

export async function startSingleNode(
  label: string,
  opts: SingleNodeOptions = {},
): Promise<SingleNode> {
  const lab = await NetLab.create({ nodes: 1, client: false, label });
  const dir = mkdtempSync(join(tmpdir(), `ctdbd-${label}-`));
  const base = join(dir, 'node.0');
  writeNodeConfig(base, [lab.nodes[0]!.privateAddress!], 0);
  const interactive = opts.interactive ?? true;
  // CTDBD_BACKGROUND: this is already the background copy, so it logs to its file and stays
  // our child (the lab kills it on teardown).
  const daemon = lab.nodes[0]!.spawn(
    interactive ? [...helperCommand('ctdbd'), '-i'] : helperCommand('ctdbd'),
    {
      env: {
        ...nodeEnv(base),
        ...(interactive ? {} : { CTDBD_BACKGROUND: '1' }),
        ...opts.env,
      },
      stdinPipe: true,
    },
  );
  const destroy = async (): Promise<void> => {
    daemon.closeStdin();
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  // Generous: on a loaded machine each process needs seconds just to load.
  const deadline = Date.now() + 120_000;
  try {
    while (!healthy(await probe(socketOf(base), 1500), 1)) {
      if (!daemon.running) throw new Error(`ctdbd exited:\n${daemon.output()}`);
      if (Date.now() > deadline) throw new Error(`not healthy:\n${daemon.output()}`);
      await sleep(250);
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { lab, base, daemon, destroy };
}
