/**
 * Benchmark 1: wall time of a whole `mesh send` process (signed, delivered to a live local `mesh serve`)
 * against `node -e 0`, interleaved in one run so both see the same machine noise. Also times
 * `mesh --version` (the CLI's floor) and `mesh send` with Node's on-disk compile cache, and breaks
 * one send down into phases (module loading, SQLite, signing, HTTP) with performance.now().
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createPair } from './support/fixture.ts';
import { childEnv, childrenCpuMs, freePort, MESH_BIN, REPO, startServe } from './support/processes.ts';
import { ratioRow, row, type BenchContext, type BenchOutcome, type BenchRow, type Benchmark } from './support/report.ts';
import { mean, median, percentile, round } from './support/stats.ts';

const RUNS = Number(process.env['BENCH_SEND_RUNS'] ?? 30);
const WARMUP = 3;
const PHASE_RUNS = 7;
/** Issue 13: `mesh send` stays ≤ 2.5 × `node -e 0` (it was 3.5 × before). */
const TARGET_RATIO = 2.5;

interface Variant {
  key: string;
  label: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  mustSucceed: boolean;
  wallMs: number[];
  cpuMs: number;
  failures: number;
}

function runOnce(v: Variant): void {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, v.args, { env: v.env, encoding: 'utf8', timeout: 30_000 });
  const wall = performance.now() - t0;
  const cpu1 = childrenCpuMs();
  v.wallMs.push(wall);
  if (cpu0 !== null && cpu1 !== null) v.cpuMs += cpu1 - cpu0;
  if (r.status !== 0 && v.mustSucceed) {
    v.failures++;
    if (v.failures === 1) process.stderr.write(`  ${v.key} failed (${String(r.status)}): ${r.stderr.trim().slice(0, 300)}\n`);
  }
}

function phaseBreakdown(home: string): Map<string, number[]> {
  const byPhase = new Map<string, number[]>();
  const script = join(REPO, 'bench', 'support', 'send-phases.ts');
  for (let i = 0; i < PHASE_RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [script, home], { env: childEnv(), encoding: 'utf8', timeout: 30_000 });
    const wall = performance.now() - t0;
    if (r.status !== 0) throw new Error(`send-phases failed: ${r.stderr.trim().slice(0, 500)}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { phases: [string, number][]; endMs: number };
    for (const [name, ms] of [...out.phases, ['process exit + spawn (parent wall − child clock)', wall - out.endMs] as [string, number]]) {
      byPhase.set(name, [...(byPhase.get(name) ?? []), ms]);
    }
  }
  return byPhase;
}

async function run(ctx: BenchContext): Promise<BenchOutcome> {
  const [alphaPort, betaPort] = [await freePort(), await freePort()];
  ctx.log('setting up alpha and beta with the CLI');
  const pair = createPair(ctx.dir, alphaPort, betaPort);
  const beta = await startServe(pair.b, betaPort, join(ctx.dir, 'beta-serve.log'));
  try {
    const sendArgs = [MESH_BIN, 'send', 'beta', 'notification', 'hi', '--home', pair.a];
    const mk = (key: string, label: string, args: string[], env: NodeJS.ProcessEnv, mustSucceed: boolean): Variant =>
      ({ key, label, args, env, mustSucceed, wallMs: [], cpuMs: 0, failures: 0 });
    const variants = [
      mk('node', 'node -e 0', ['-e', '0'], childEnv(), true),
      mk('send', 'mesh send (signed, delivered)', sendArgs, childEnv(), true),
      mk('version', 'mesh --version (CLI floor)', [MESH_BIN, '--version'], childEnv(), true),
      mk('send-cc', 'mesh send, NODE_COMPILE_CACHE set', sendArgs, childEnv({ NODE_COMPILE_CACHE: join(ctx.dir, 'compile-cache') }), true),
    ];
    ctx.log(`warm-up, then ${RUNS} interleaved rounds of: ${variants.map((v) => v.label).join(' | ')}`);
    for (let i = 0; i < WARMUP; i++) for (const v of variants) runOnce(v);
    for (const v of variants) {
      v.wallMs = [];
      v.cpuMs = 0;
      v.failures = 0;
    }
    for (let i = 0; i < RUNS; i++) {
      // Rotate the order every round so no variant always runs right after another.
      for (let j = 0; j < variants.length; j++) runOnce(variants[(i + j) % variants.length] as Variant);
    }
    ctx.log(`phase breakdown (${PHASE_RUNS} runs of bench/support/send-phases.ts)`);
    const phases = phaseBreakdown(pair.a);

    const [node, send, version, sendCc] = variants as [Variant, Variant, Variant, Variant];
    const nodeMed = median(node.wallMs);
    const rows: BenchRow[] = [
      ratioRow({ name: 'mesh send wall, median', value: median(send.wallMs), unit: 'ms', baseline: nodeMed, baselineName: 'node -e 0' }, { max: TARGET_RATIO }),
      row({ name: 'mesh send wall, p90', value: percentile(send.wallMs, 90), unit: 'ms', baseline: percentile(node.wallMs, 90), baselineName: 'node -e 0', ratio: percentile(send.wallMs, 90) / percentile(node.wallMs, 90) }),
      row({ name: 'mesh send CPU user+sys, mean', value: send.cpuMs / RUNS, unit: 'ms', baseline: node.cpuMs / RUNS, baselineName: 'node -e 0', ratio: send.cpuMs / Math.max(1, node.cpuMs) }),
      row({ name: 'mesh --version wall, median', value: median(version.wallMs), unit: 'ms', baseline: nodeMed, baselineName: 'node -e 0', ratio: median(version.wallMs) / nodeMed }),
      row({ name: 'mesh send + NODE_COMPILE_CACHE, median', value: median(sendCc.wallMs), unit: 'ms', baseline: nodeMed, baselineName: 'node -e 0', ratio: median(sendCc.wallMs) / nodeMed }),
    ];
    for (const [name, ms] of phases) rows.push(row({ name: `  phase: ${name}`, value: median(ms), unit: 'ms' }));
    const failures = variants.reduce((n, v) => n + v.failures, 0);
    const notes = [
      `${RUNS} interleaved runs after ${WARMUP} warm-up rounds; beta requires alpha's HMAC signature, so exit 0 means signed, verified and stored.`,
      'Phase rows: medians over separate runs of bench/support/send-phases.ts, which repeats the send steps with the same dist/ modules; they add up to about one send.',
    ];
    if (failures > 0) {
      notes.push(`${failures} runs failed (non-zero exit): see stderr above`);
      rows[0] = { ...(rows[0] as BenchRow), verdict: 'MISS' };
    }
    return {
      name: 'send-latency',
      rows,
      notes,
      details: {
        runs: RUNS,
        variants: Object.fromEntries(variants.map((v) => [v.key, {
          label: v.label,
          wallMsMedian: round(median(v.wallMs)),
          wallMsMean: round(mean(v.wallMs)),
          wallMsP90: round(percentile(v.wallMs, 90)),
          cpuMsMean: round(v.cpuMs / RUNS),
          failures: v.failures,
          wallMs: v.wallMs.map((x) => round(x)),
        }])),
        phasesMsMedian: Object.fromEntries([...phases].map(([k, v]) => [k, round(median(v))])),
      },
    };
  } finally {
    await beta.stop();
  }
}

export const benchmark: Benchmark = {
  name: 'send-latency',
  summary: 'whole `mesh send` process vs `node -e 0` (target ≤ 3.5×)',
  run,
};
