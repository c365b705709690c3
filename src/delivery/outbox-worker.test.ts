import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../ports/clock.ts';
import { silentLogger } from '../ports/logger.ts';
import { startOutboxWorker } from './outbox-worker.ts';

/** A service stub that records tick overlap and can hold the started attempts open. */
function stubService(nextWake: () => number | null) {
  const s = {
    ticks: 0,
    active: 0,
    maxActive: 0,
    replays: 0,
    hold: null as Promise<void> | null,
    finished: 0,
    startDue(onSettled?: () => void) {
      s.ticks++;
      s.active++;
      s.maxActive = Math.max(s.maxActive, s.active);
      s.active--;
      if (s.hold === null) return { started: 0, settled: Promise.resolve(0) };
      const settled = s.hold.then(() => {
        s.finished++;
        onSettled?.();
        return 1;
      });
      s.hold = null;
      return { started: 1, settled };
    },
    async autoReplayTick() {
      s.replays++;
      return { probed: 0, replayed: 0, expired: 0 };
    },
    nextWakeAt: nextWake,
  };
  return s;
}

/** Polls until `cond` holds. The ceiling only bounds a failing test; a loaded machine needs a high one. */
const until = async (cond: () => boolean, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 2));
  }
};

test('ticks at once, then sleeps no longer than maxIntervalMs; ticks never overlap', async () => {
  const s = stubService(() => null);
  const w = startOutboxWorker({ service: s, clock: systemClock, logger: silentLogger, minIntervalMs: 1, maxIntervalMs: 10 });
  await until(() => s.ticks >= 3);
  await w.stop();
  assert.equal(s.maxActive, 1);
  assert.equal(s.replays, s.ticks);
});

test('a wake time in the past is clamped to minIntervalMs (no busy loop)', async () => {
  const s = stubService(() => 0);
  const w = startOutboxWorker({ service: s, clock: systemClock, logger: silentLogger, minIntervalMs: 50, maxIntervalMs: 1_000 });
  await new Promise((r) => setTimeout(r, 120));
  await w.stop();
  // 120 ms at >= 50 ms per sleep: at most 3 ticks (+1 for timer slack); a busy loop would make hundreds.
  assert.ok(s.ticks >= 1 && s.ticks <= 4, `ticks: ${s.ticks}`);
});

test('kick() cuts a long sleep short', async () => {
  const s = stubService(() => null);
  const w = startOutboxWorker({ service: s, clock: systemClock, logger: silentLogger, minIntervalMs: 1, maxIntervalMs: 60_000 });
  await until(() => s.ticks === 1);
  w.kick();
  await until(() => s.ticks === 2);
  await w.stop();
});

test('stop() waits for the attempts in flight and then ends the loop', async () => {
  const s = stubService(() => null);
  let release!: () => void;
  s.hold = new Promise((r) => {
    release = r;
  });
  const w = startOutboxWorker({ service: s, clock: systemClock, logger: silentLogger, minIntervalMs: 1, maxIntervalMs: 10 });
  await until(() => s.ticks >= 1 && s.hold === null);
  let stopped = false;
  const stopping = w.stop().then(() => {
    stopped = true;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(stopped, false, 'stop waits for the attempts in flight');
  release();
  await stopping;
  assert.equal(s.finished, 1);
  const ticks = s.ticks;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(s.ticks, ticks, 'no tick after stop');
});

test('an attempt that ends wakes the loop at once: its slot is refilled without waiting for the sleep', async () => {
  // Each tick starts one attempt that ends a little later; the sleep between ticks is 60 s, so ten
  // ticks within the deadline prove that the ending attempts, not the timer, drive the loop.
  let ended = 0;
  let ticks = 0;
  const s = {
    startDue(onSettled?: () => void) {
      ticks++;
      if (ticks > 10) return { started: 0, settled: Promise.resolve(0) };
      const settled = new Promise<number>((r) => setTimeout(r, 5, 1)).then((n) => {
        ended++;
        onSettled?.();
        return n;
      });
      return { started: 1, settled };
    },
    autoReplayTick: async () => ({ probed: 0, replayed: 0, expired: 0 }),
    // Due in the future: a tick that started attempts sleeps rather than going straight on.
    nextWakeAt: () => Date.now() + 60_000,
  };
  const w = startOutboxWorker({ service: s, clock: systemClock, logger: silentLogger, minIntervalMs: 60_000, maxIntervalMs: 60_000 });
  await until(() => ended === 10, 30_000);
  await w.stop();
  assert.ok(ticks >= 11);
});

test('a failing tick is logged and the loop goes on', async () => {
  const errors: string[] = [];
  let n = 0;
  const s = {
    startDue: () => {
      n++;
      if (n === 1) throw new Error('store busy');
      return { started: 0, settled: Promise.resolve(0) };
    },
    autoReplayTick: async () => ({ probed: 0, replayed: 0, expired: 0 }),
    nextWakeAt: () => null,
  };
  const logger = { ...silentLogger, error: (msg: string) => errors.push(msg) };
  const w = startOutboxWorker({ service: s, clock: systemClock, logger, minIntervalMs: 1, maxIntervalMs: 5 });
  await until(() => n >= 2);
  await w.stop();
  assert.deepEqual(errors, ['outbox worker tick failed']);
});

test('a tick that sent requests is followed at once while more is due; an idle tick still sleeps', async () => {
  // 20 ticks of "started 4, more due", then nothing sent. With a 60 s minimum sleep, the drain can only
  // finish within the 30 s deadline if the worker never sleeps between the sending ticks (whatever
  // the machine's load: one sleep alone would take twice the deadline).
  let backlog = 20;
  let idle = 0;
  let replays = 0;
  const s = {
    startDue: () => {
      if (backlog > 0) {
        backlog--;
        return { started: 4, settled: Promise.resolve(4) };
      }
      idle++;
      return { started: 0, settled: Promise.resolve(0) };
    },
    autoReplayTick: async () => {
      replays++;
      return { probed: 0, replayed: 0, expired: 0 };
    },
    nextWakeAt: () => 0,
  };
  const w = startOutboxWorker({ service: s, clock: systemClock, logger: silentLogger, minIntervalMs: 60_000, maxIntervalMs: 60_000 });
  await until(() => backlog === 0 && idle === 1, 30_000);
  await new Promise((r) => setTimeout(r, 100));
  await w.stop();
  assert.equal(idle, 1, 'after an idle tick the worker sleeps minIntervalMs, it does not spin');
  assert.equal(replays, 1, 'the dead-letter auto-replay runs at most once per minIntervalMs, not on every turn of a drain');
});
