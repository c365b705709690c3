/**
 * Runs async jobs at most `limit` at a time, where each job names the keys it uses (for a cluster:
 * the node homes it writes). Jobs that share a key run one after another in the order they were
 * submitted; jobs that share none run in parallel. A job may also wait for other jobs first.
 *
 * A job takes a slot only once everything it waits for is done, so waiting never holds a slot and
 * the order of submission rules out cycles: no deadlock.
 */
export class KeyedJobs {
  readonly #limit: number;
  #running = 0;
  readonly #queue: (() => void)[] = [];
  readonly #tails = new Map<string, Promise<unknown>>();

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  /** Runs `job` after the earlier jobs on `keys` and the `after` jobs have settled (failed or not). */
  run<T>(keys: readonly string[], job: () => Promise<T>, after: readonly Promise<unknown>[] = []): Promise<T> {
    const before = [...keys.map((k) => this.#tails.get(k)), ...after].filter((p) => p !== undefined);
    const result = (async () => {
      await Promise.allSettled(before);
      await this.#acquire();
      try {
        return await job();
      } finally {
        this.#release();
      }
    })();
    for (const k of keys) this.#tails.set(k, result);
    return result;
  }

  async #acquire(): Promise<void> {
    if (this.#running < this.#limit) {
      this.#running++;
      return;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next(); // the slot passes straight to the next job
    else this.#running--;
  }
}

/** Waits for every promise to settle, then throws the first rejection (no job is left running). */
export async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
