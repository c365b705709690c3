import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../ports/clock.ts';
import { silentLogger } from '../ports/logger.ts';
import { startOutboxWorker } from './outbox-worker.ts';

/** A service stub that records tick overlap and can hold a tick open. */
function stubService(nextWake: () => number | null) {
  const s = {
    ticks: 0,
    active: 0,
    maxActive: 0,
    replays: 0,
    hold: null as Promise<void> | null,
    finished: 0,
    async runDue(): Promise<number> {
      s.ticks++;
      s.active++;
      s.maxActive = Math.max(s.maxActive, s.active);
      if (s.hold) await s.hold;
      s.active--;
      s.finished++;
      return 0;
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

test('stop() waits for the tick in flight and then ends the loop', async () => {
  const s = stubService(() => null);
  let release!: () => void;
  s.hold = new Promise((r) => {
    release = r;
  });
  const w = startOutboxWorker({ service: s, clock: systemClock, logger: silentLogger, minIntervalMs: 1, maxIntervalMs: 10 });
  await until(() => s.active === 1);
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

test('a failing tick is logged and the loop goes on', async () => {
  const errors: string[] = [];
  let n = 0;
  const s = {
    runDue: async () => {
      n++;
      if (n === 1) throw new Error('store busy');
      return 0;
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
  // 20 ticks of "sent 4, more due", then nothing sent. With a 60 s minimum sleep, the drain can only
  // finish within the 30 s deadline if the worker never sleeps between the sending ticks (whatever
  // the machine's load: one sleep alone would take twice the deadline).
  let backlog = 20;
  let idle = 0;
  const s = {
    runDue: async () => {
      if (backlog > 0) {
        backlog--;
        return 4;
      }
      idle++;
      return 0;
    },
    autoReplayTick: async () => ({ probed: 0, replayed: 0, expired: 0 }),
    nextWakeAt: () => 0,
  };
  const w = startOutboxWorker({ service: s, clock: systemClock, logger: silentLogger, minIntervalMs: 60_000, maxIntervalMs: 60_000 });
  await until(() => backlog === 0 && idle === 1, 30_000);
  await new Promise((r) => setTimeout(r, 100));
  await w.stop();
  assert.equal(idle, 1, 'after an idle tick the worker sleeps minIntervalMs, it does not spin');
});
