/** Time source. Everything that reads time takes a Clock so tests never sleep on the wall clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
