/**
 * "Durable means on disk", observed on real processes with strace: a receiver answers 202 only
 * after the commit that holds the message was fsynced; `mesh send` posts a message only after its
 * outbox row was fsynced, and reports it queued (exit 10) only after that outcome was fsynced. The
 * check reads the syscalls of the process in the order they happened: at the moment the 202 (the
 * POST, the output and exit code) is written, every write to the database's WAL so far must have
 * been followed by an fdatasync/fsync of the WAL. With the old `synchronous = NORMAL` (or
 * `store.synchronous: "normal"`) the WAL is written and not synced before the answer, and this test
 * fails. (A delivered message's "delivered" mark is not fsynced on purpose: the receiver has the
 * message on disk, and a mark lost to a power loss only sends it again as a duplicate.)
 *
 * Needs strace (.ci/run installs it); skipped where it is missing or ptrace is not allowed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { MeshCluster } from './support/mesh-cluster.ts';
import { describeRun, killGroup, type CommandWrapper } from './support/mesh-process.ts';
import { CHILD_PROCESS_TIMEOUT_MS, CLI_RUN_TIMEOUT_MS, DAEMON_LISTEN_TIMEOUT_MS, DAEMON_STOP_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const TRACED = 'fdatasync,fsync,write,pwrite64,writev,pwritev,sendto,sendmsg,exit_group';

function straceUnavailable(): string | null {
  const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=fsync', 'true'], { encoding: 'utf8', timeout: CHILD_PROCESS_TIMEOUT_MS });
  if (r.error) return 'strace is not installed (apt-get install strace)';
  if (r.status !== 0) return `strace cannot trace here: ${r.stderr.trim().split('\n')[0] ?? r.status}`;
  return null;
}
const unavailable = straceUnavailable();

/** Runs a command under strace: every thread and child, file descriptors shown with their paths/peers. */
const underStrace = (outFile: string): CommandWrapper => (command, args) => ({
  command: 'strace',
  args: ['-f', '-qq', '-yy', '-s', '64', '-o', outFile, '-e', `trace=${TRACED}`, '-e', 'signal=none', command, ...args],
});

interface Call {
  pid: string;
  name: string;
  /** The first argument as strace shows it with -yy: `5</path/data/mesh.db-wal>`, `7<TCP:[…]>`. */
  fd: string;
  line: string;
}

/**
 * The traced calls in the order they finished. A call that blocked shows as "<unfinished ...>" and
 * later "<... name resumed>": it counts where it resumed (a sync is done only then), with the
 * arguments of its first line.
 */
function readTrace(file: string): Call[] {
  const calls: Call[] = [];
  const open = new Map<string, Call>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const resumed = /^(\d+)\s+<\.\.\. (\w+) resumed>/.exec(line);
    if (resumed) {
      const first = open.get(`${resumed[1]} ${resumed[2]}`);
      open.delete(`${resumed[1]} ${resumed[2]}`);
      if (first) calls.push(first);
      continue;
    }
    const m = /^(\d+)\s+(\w+)\((\d+<(?:->|[^<>])*>)?(.*)$/.exec(line);
    if (!m) continue;
    const call: Call = { pid: m[1] as string, name: m[2] as string, fd: m[3] ?? '', line };
    if (line.endsWith('<unfinished ...>')) open.set(`${call.pid} ${call.name}`, call);
    else calls.push(call);
  }
  return calls;
}

const isWal = (c: Call): boolean => /mesh\.db-wal>$/.test(c.fd);
const isWalWrite = (c: Call): boolean => isWal(c) && /^(write|pwrite64|writev|pwritev)$/.test(c.name);
const isWalSync = (c: Call): boolean => isWal(c) && (c.name === 'fdatasync' || c.name === 'fsync');

/** What the CLI tells its caller: output on stdout/stderr, and its exit code. */
const isCliAnswer = (c: Call): boolean => c.name === 'exit_group' || (/^(write|writev)$/.test(c.name) && /^[12]</.test(c.fd));

/** For each call that `isAck` picks: whether the WAL had writes not yet synced at that moment. */
function acknowledgements(calls: Call[], isAck: (c: Call) => boolean): { acks: number; unsynced: string[]; walSyncs: number } {
  let dirty: Call | null = null;
  let acks = 0;
  let walSyncs = 0;
  const unsynced: string[] = [];
  for (const c of calls) {
    if (isWalWrite(c)) dirty = c;
    else if (isWalSync(c)) {
      walSyncs++;
      dirty = null;
    } else if (isAck(c)) {
      acks++;
      if (dirty !== null) unsynced.push(`${c.line}\n  after the unsynced WAL write: ${dirty.line}`);
    }
  }
  return { acks, unsynced, walSyncs };
}

const clusters: MeshCluster[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.close()));
});

describe('durable before acknowledged (strace on real processes)', { skip: unavailable ?? false, timeout: SUITE_TIMEOUT_MS }, () => {
  test('the receiver fsyncs the WAL before it writes a 202; the sender before it posts', async () => {
    const cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
    clusters.push(cluster);
    const alpha = cluster.node('alpha');
    const beta = cluster.node('beta');
    const receiverTrace = cluster.path('beta.strace');
    const daemon = await beta.serve({ wrap: underStrace(receiverTrace), timeoutMs: DAEMON_LISTEN_TIMEOUT_MS });
    // alpha's daemon keeps the database open, as on a real node: the CLI's close is then not the
    // last one and does not checkpoint (which would sync the WAL and hide a missing fsync).
    await alpha.serve({ timeoutMs: DAEMON_LISTEN_TIMEOUT_MS });
    const senderTrace = cluster.path('alpha-send.strace');
    try {
      // One at a time, then several at once (they may share one group commit).
      const first = await alpha.mesh(['send', 'beta', 'notification', 'one'], { wrap: underStrace(senderTrace), timeoutMs: CLI_RUN_TIMEOUT_MS });
      assert.equal(first.code, 0, describeRun(first));
      const burst = await Promise.all([2, 3, 4, 5].map((i) => alpha.mesh(['send', 'beta', 'notification', `msg ${i}`], { timeoutMs: CLI_RUN_TIMEOUT_MS })));
      for (const r of burst) assert.equal(r.code, 0, describeRun(r));
      assert.equal((await beta.inbox()).length, 5);

    } finally {
      killGroup(daemon.child, 'SIGTERM');
      await daemon.stop(DAEMON_STOP_TIMEOUT_MS);
    }
    const port = String(beta.port);
    const received = acknowledgements(readTrace(receiverTrace), (c) => c.fd.includes(`:${port}->`) && c.line.includes('HTTP/1.1 202'));
    assert.ok(received.acks >= 5, `the receiver wrote a 202 per message (saw ${received.acks})`);
    assert.deepEqual(received.unsynced, [], 'the receiver answered 202 with WAL writes not yet on disk');

    // The sender: the message is in its outbox on disk before the first attempt leaves.
    const sent = acknowledgements(readTrace(senderTrace), (c) => c.fd.includes(`->127.0.0.1:${port}]`) && c.line.includes('POST '));
    assert.equal(sent.acks, 1, 'the sender\'s POST is in its trace');
    assert.ok(sent.walSyncs > 0, 'the sender synced its WAL');
    assert.deepEqual(sent.unsynced, [], 'mesh send posted the message with its outbox row not yet on disk');
  });

  test('a queued message ("queued" exit code 10) is on disk before mesh send exits', async () => {
    const cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
    clusters.push(cluster);
    const trace = cluster.path('alpha-queued.strace');
    // beta is not running: the first attempt fails, the message stays in the outbox. alpha's daemon
    // runs (see above: the CLI's close must not be the last one).
    await cluster.node('alpha').serve({ timeoutMs: DAEMON_LISTEN_TIMEOUT_MS });
    const r = await cluster.node('alpha').mesh(['send', 'beta', 'notification', 'later'], { wrap: underStrace(trace), timeoutMs: CLI_RUN_TIMEOUT_MS });
    assert.equal(r.code, 10, describeRun(r));
    const sent = acknowledgements(readTrace(trace), isCliAnswer);
    assert.ok(sent.acks >= 2, 'the sender\'s output and exit are in its trace');
    assert.ok(sent.walSyncs > 0, 'the sender synced its WAL');
    assert.deepEqual(sent.unsynced, [], 'mesh send exited 10 with WAL writes not yet on disk');
  });
});
