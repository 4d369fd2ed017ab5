#!/usr/bin/env node
// `ctdb`: the cluster administration command. All logic lives in runtime/cli.
import { main } from '../runtime/cli/main.js';

// A reader that goes away early (`ctdb status | head -1`) ends the command quietly, as SIGPIPE
// ends CTDB's tool, instead of an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const io = {
  out: (text: string) => void process.stdout.write(text),
  err: (text: string) => void process.stderr.write(text),
};

main(process.argv.slice(2), io, process.env).then(
  (code) => {
    // Exit at once, as CTDB's tool does when its command returns, rather than waiting for Node
    // to tear down the event loop and heap. Nothing is lost: on Linux, writes to stdout and
    // stderr (files, pipes, terminals) complete synchronously.
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`ctdb: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
