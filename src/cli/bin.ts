#!/usr/bin/env node
/** `mesh` executable: the only place that touches process.argv and process.exit. */
import { main } from './main.ts';

const controller = new AbortController();
const onSignal = (): void => controller.abort();
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
// Exit explicitly: open handles (keep-alive sockets, timers) must not keep a finished command alive.
// stdout/stderr are synchronous for files and pipes on Linux, so nothing written is lost.
process.exit(code);
