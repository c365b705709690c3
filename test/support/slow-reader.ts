/**
 * A deliberately slow pipe reader, run as its own process: `node slow-reader.ts <out-file> <chunk-bytes>
 * <pause-ms>` reads stdin (fd 0) at most chunk-bytes at a time, pausing pause-ms after each read, and
 * writes what it read to out-file at end of input. A writer that exits without waiting for such a
 * reader loses whatever the pipe buffer (64 KiB on Linux) could not hold.
 */
import { readSync, writeFileSync } from 'node:fs';

const [outFile, chunkText = '4096', pauseText = '2'] = process.argv.slice(2);
if (outFile === undefined) throw new Error('usage: slow-reader.ts <out-file> [chunk-bytes] [pause-ms]');
const chunk = Buffer.alloc(Number(chunkText));
const pauseMs = Number(pauseText);
const pauser = new Int32Array(new SharedArrayBuffer(4));
const pause = (ms: number): void => void Atomics.wait(pauser, 0, 0, ms);

const parts: Buffer[] = [];
for (;;) {
  let n: number;
  try {
    n = readSync(0, chunk, 0, chunk.length, null);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
      pause(pauseMs);
      continue;
    }
    throw e;
  }
  if (n === 0) break;
  parts.push(Buffer.from(chunk.subarray(0, n)));
  pause(pauseMs);
}
writeFileSync(outFile, Buffer.concat(parts));
