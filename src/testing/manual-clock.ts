import type { Clock } from '../ports/clock.ts';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #t: number;
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#t = startMs;
  }
  now(): number {
    return this.#t;
  }
  advance(ms: number): void {
    this.#t += ms;
  }
  set(ms: number): void {
    this.#t = ms;
  }
}
