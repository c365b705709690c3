/**
 * `npm run bench` (after `npm run build`): runs the benchmarks, prints one table, and writes
 * bench/results/<ISO time>.json and bench/results/latest.json.
 *   node bench/run.ts                       all benchmarks
 *   node bench/run.ts send-latency ...      only the named ones
 * Targets are goals printed next to each figure (PASS/MISS), not assertions: the exit code is 1 only
 * when a benchmark could not run. Everything runs on loopback in a temp folder, and every child
 * process is killed at the end, also after a failure or Ctrl-C. BENCH_KEEP=1 keeps the temp folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmark as apiConversations } from './api-conversations.ts';
import { benchmark as apiEvents } from './api-events.ts';
import { benchmark as nats } from './nats.ts';
import { benchmark as queueMemory } from './queue-memory.ts';
import { benchmark as rally } from './rally.ts';
import { benchmark as roundTrip } from './round-trip.ts';
import { benchmark as scaling } from './scaling.ts';
import { benchmark as sendLatency } from './send-latency.ts';
import { assertBuilt, killAllChildren, REPO } from './support/processes.ts';
import { formatTable, type BenchOutcome, type Benchmark } from './support/report.ts';
import { benchmark as throughput } from './throughput.ts';

const all: Benchmark[] = [sendLatency, throughput, roundTrip, queueMemory, rally, apiEvents, apiConversations, nats, scaling];

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !all.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}\navailable:\n${all.map((b) => `  ${b.name.padEnd(14)} ${b.summary}`).join('\n')}`);
    return 2;
  }
  assertBuilt();
  const chosen = names.length === 0 ? all : all.filter((b) => names.includes(b.name));
  const root = mkdtempSync(join(tmpdir(), 'mesh-bench-'));
  const cleanup = (): void => {
    killAllChildren();
    if (process.env['BENCH_KEEP'] !== '1') rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', killAllChildren);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanup();
      process.exit(130);
    });
  }

  const startedAt = new Date();
  const loadStart = loadavg();
  console.error(`mesh bench: ${chosen.map((b) => b.name).join(', ')} — ${cpus().length} CPUs, load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}, node ${process.version}`);
  const outcomes: BenchOutcome[] = [];
  try {
    for (const b of chosen) {
      const dir = join(root, b.name);
      mkdirSync(dir, { recursive: true });
      const t0 = performance.now();
      console.error(`\n▶ ${b.name}: ${b.summary}`);
      let outcome: BenchOutcome;
      try {
        outcome = await b.run({ dir, log: (m) => console.error(`  ${m}`) });
      } catch (e) {
        outcome = { name: b.name, rows: [], notes: [], details: {}, error: (e as Error).stack ?? String(e) };
        console.error(`  FAILED: ${(e as Error).stack ?? String(e)}`);
      }
      outcome.durationMs = Math.round(performance.now() - t0);
      console.error(`  done in ${(outcome.durationMs / 1000).toFixed(1)} s`);
      outcomes.push(outcome);
      killAllChildren(); // a benchmark's own finally blocks stop its children; this is the safety net
    }
  } finally {
    cleanup();
  }

  const finishedAt = new Date();
  console.log(`\n${formatTable(outcomes)}`);
  for (const o of outcomes) for (const n of o.notes) console.log(`• ${o.name}: ${n}`);
  const loadEnd = loadavg();
  console.log(`• machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average at start ${loadStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadEnd.map((x) => x.toFixed(2)).join(' ')}; total ${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s`);

  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    commit: gitCommit(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, node: process.version, platform: process.platform, loadavgStart: loadStart, loadavgEnd: loadEnd },
    benchmarks: outcomes,
  };
  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const file = join(dir, `${startedAt.toISOString().replace(/:/g, '-')}.json`);
  writeFileSync(file, text);
  writeFileSync(join(dir, 'latest.json'), text);
  console.log(`• results: ${file} (and bench/results/latest.json)`);
  return outcomes.some((o) => o.error !== undefined) ? 1 : 0;
}

process.exitCode = await main();
