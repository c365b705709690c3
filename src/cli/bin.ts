#!/usr/bin/env node
/** `mesh` executable: the only place that touches process.argv and process.exit. */
import { enableCompileCache } from 'node:module';

// Cache compiled bytecode on disk (Node picks $NODE_COMPILE_CACHE or a folder under the OS temp
// dir) before the command's module graph loads: it trims start-up of every later `mesh` run.
// Best effort: a read-only temp dir only means no cache.
enableCompileCache?.();
const { main } = await import('./main.ts');

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
