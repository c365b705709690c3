#!/usr/bin/env node
/**
 * `mesh` executable: the only place that touches process.argv, the process's streams and process.exit.
 *
 * This file must parse and run on old Node.js releases: it checks the version before it loads any other
 * module, so `mesh` on Node 20 says what is wrong instead of failing with a SyntaxError or a missing
 * export deep in the module graph. Keep it free of static imports and of syntax newer than ES2022.
 */
const MIN_NODE_MAJOR = 24;
const MIN_NODE_MINOR = 12;

function nodeIsTooOld(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return major < MIN_NODE_MAJOR || (major === MIN_NODE_MAJOR && minor < MIN_NODE_MINOR);
}

async function run(): Promise<void> {
  const { enableCompileCache } = await import('node:module');
  // Cache compiled bytecode on disk (Node picks $NODE_COMPILE_CACHE or a folder under the OS temp
  // dir) before the command's module graph loads: it trims start-up of every later `mesh` run.
  // Best effort: a read-only temp dir only means no cache.
  enableCompileCache?.();
  const { main } = await import('./main.ts');
  const { flushed } = await import('./flush-streams.ts');

  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A reader that went away (EPIPE, `mesh inbox --follow | head -1`) stops a waiting command like
  // Ctrl-C would, instead of an uncaught stream error.
  const onStreamError = (): void => controller.abort();
  process.stdout.on('error', onStreamError);
  process.stderr.on('error', onStreamError);

  const code = await main(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
  });
  // The command is over: a signal from here on ends the process the default way, even while the
  // output below waits for a slow reader.
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = code;
  // Exit only once stdout and stderr are drained (a pipe keeps what its reader has not taken yet
  // inside this process), then explicitly: open handles such as keep-alive sockets or timers must
  // not keep a finished command alive.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

if (nodeIsTooOld(process.versions.node)) {
  process.stderr.write(
    `mesh needs Node.js ≥ ${MIN_NODE_MAJOR}.${MIN_NODE_MINOR} (found v${process.versions.node} at ${process.execPath}); ` +
      'install Node.js 24 LTS and put it first on PATH\n',
  );
  process.exitCode = 1;
} else {
  await run();
}
