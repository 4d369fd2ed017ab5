// Where an exec'd script's output goes when the daemon spawns it itself (no fork server: see
// fork-server.ts, which reads a pipe instead): one file descriptor shared as its stdout and
// stderr, so both streams land merged in write order, as CTDB's single pipe gives them. An
// unlinked temporary file rather than a pipe, because Node cannot create a bare pipe pair; the
// output is read once, when the script exits or times out, and a chatty script never blocks.
import { closeSync, fstatSync, openSync, readSync, unlinkSync, constants } from 'node:fs';
import { join } from 'node:path';

let counter = 0;

export class OutputFile {
  readonly fd: number;
  private closed = false;

  constructor(dir: string) {
    const path = join(dir, `.eventd-output-${process.pid}-${counter++}`);
    this.fd = openSync(
      path,
      constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_TRUNC,
      0o600,
    );
    unlinkSync(path);
  }

  /** Everything written so far. */
  read(): Buffer {
    if (this.closed) return Buffer.alloc(0);
    const size = fstatSync(this.fd).size;
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(this.fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
