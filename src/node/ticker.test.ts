import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManualClock } from '../testing/manual-clock.ts';
import { startTicker } from './ticker.ts';

const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (probe()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('runs work when it is due, not before; a kick looks again at once', async () => {
  const clock = new ManualClock(1_000);
  let due: number | null = 5_000;
  let runs = 0;
  const t = startTicker({
    name: 'test', clock, logger: quietLogger, minIntervalMs: 5, maxIntervalMs: 20,
    nextDueAt: () => due,
    run: async () => {
      runs++;
      due = null;
    },
  });
  try {
    await sleep(60);
    assert.equal(runs, 0, 'not due yet');
    clock.set(5_000);
    t.kick();
    await until('the due run', () => runs === 1);
    await sleep(60);
    assert.equal(runs, 1, 'nothing more is due');
  } finally {
    await t.stop();
  }
});

test('a run that throws is logged and the loop goes on; stop waits for a run in progress', async () => {
  const clock = new ManualClock(0);
  const errors: string[] = [];
  let runs = 0;
  let finished = false;
  const t = startTicker({
    name: 'flaky', clock, minIntervalMs: 5, maxIntervalMs: 20,
    logger: { ...quietLogger, error: (m: string) => errors.push(m) },
    nextDueAt: () => 0,
    run: async () => {
      runs++;
      if (runs === 1) throw new Error('first run fails');
      await sleep(30);
      finished = true;
    },
  });
  await until('a second run', () => runs >= 2);
  await t.stop();
  assert.ok(finished, 'stop() returned only after the run in progress ended');
  assert.deepEqual(errors.slice(0, 1), ['flaky failed']);
});
