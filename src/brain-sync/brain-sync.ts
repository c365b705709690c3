/**
 * Brain sync (bash `mesh-brain-sync.sh`, bash-mesh-behavior.md §6.10): every audit entry and every
 * conversation event not yet synced is POSTed, one at a time and oldest first, to `<url>/ingest` as
 * bash's JSON body (brain-entries.ts). Ports only: the store (audit, event log, kv) and the transport.
 *
 * Contract:
 *  - **Durable cursor** per ingest URL in the store's kv (`brainSync:cursor:<url>`: the last audit seq
 *    and event seq posted), advanced after **each** successful post. A failed post (non-2xx, network
 *    error, time-out) stops the run there; the next run resumes with that entry. Nothing posted is
 *    posted again, except after a crash between a post's success and its cursor write: then that one
 *    entry is posted once more. So delivery is **at least once**, and each body carries an `id` the
 *    receiver can de-duplicate on (also sent as the `Idempotency-Key` header).
 *  - **Bounded**: each post has a time-out; a run posts at most `maxPosts` entries.
 *  - **One sync per URL at a time**, across processes (the daemon's schedule and a command): a lease
 *    in the kv, taken in a transaction and renewed per post; a second run is refused (ALREADY_RUNNING).
 *  - **Dry run**: lists what would be posted; posts nothing, moves no cursor, takes no lease.
 * The bearer token is a secret: it goes to the transport only, never into the report or a log.
 */
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { Store } from '../ports/store.ts';
import type { Transport } from '../ports/transport.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { IdGenerator } from '../protocol/ids.ts';
import { getField, type JsonValue } from '../protocol/json.ts';
import { auditIngest, eventIngest, type IngestEntry } from './brain-entries.ts';

/** A run stops after this many posts (the next run goes on). */
export const DEFAULT_MAX_POSTS_PER_RUN = 10_000;
export const BRAIN_CONNECT_TIMEOUT_MS = 5_000;
/** Entries are read from the store in pages of this many. */
const PAGE = 200;
/** The lease outlives one post by this much, so a crashed run's lease frees itself soon after. */
const LEASE_MARGIN_MS = 30_000;

export interface BrainSyncDeps {
  self: string;
  store: Store;
  transport: Transport;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
}

export interface BrainSyncOptions {
  /** Base URL (http/https, no credentials): entries go to `<url>/ingest`. */
  url: string;
  /** Bearer token for the ingest endpoint, or null. */
  token: string | null;
  /** Per post, connection included. */
  timeoutMs: number;
  dryRun?: boolean | undefined;
  maxPosts?: number | undefined;
  /** Stops the run between two posts. */
  signal?: AbortSignal | undefined;
}

export interface BrainSyncCursor {
  auditSeq: number;
  eventSeq: number;
}

export interface BrainSyncReport {
  /** The ingest URL. */
  target: string;
  dryRun: boolean;
  posted: { audit: number; events: number };
  /** Events passed over because they are not about conversations (the cursor moves past them). */
  skippedEvents: number;
  /** Where the next run starts (unchanged by a dry run). */
  cursor: BrainSyncCursor;
  /** The entry that could not be posted (the next run starts with it), or null. */
  failed: { id: string; error: string } | null;
  /** Everything there was has been posted (false after a failure, at maxPosts, or when stopped). */
  caughtUp: boolean;
  /** Dry run: what would be posted. */
  entries: IngestEntry[];
}

/** `<url>/ingest`, as bash builds it from BRAIN_URL (one trailing slash of the base dropped). */
export function ingestUrl(base: string): string {
  return `${base.replace(/\/$/, '')}/ingest`;
}

const cursorKey = (target: string): string => `brainSync:cursor:${target}`;
const leaseKey = (target: string): string => `brainSync:lease:${target}`;

function seqOf(v: JsonValue | undefined): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0;
}

export function readCursor(store: Store, url: string): BrainSyncCursor {
  const v = store.kv.get(cursorKey(ingestUrl(url)));
  return { auditSeq: seqOf(getField(v ?? null, 'auditSeq')), eventSeq: seqOf(getField(v ?? null, 'eventSeq')) };
}

class Lease {
  readonly #deps: BrainSyncDeps;
  readonly #key: string;
  readonly #owner: string;
  readonly #ms: number;

  constructor(deps: BrainSyncDeps, target: string, ms: number) {
    this.#deps = deps;
    this.#key = leaseKey(target);
    this.#owner = deps.ids.hex(8);
    this.#ms = ms;
  }

  /** Takes or renews the lease; false when another run holds it. */
  hold(): boolean {
    const { store, clock } = this.#deps;
    return store.transaction(() => {
      const now = clock.now();
      const cur = store.kv.get(this.#key);
      const until = getField(cur ?? null, 'until');
      if (typeof until === 'number' && until > now && getField(cur ?? null, 'owner') !== this.#owner) return false;
      store.kv.set(this.#key, { owner: this.#owner, until: now + this.#ms }, now);
      return true;
    });
  }

  release(): void {
    const { store } = this.#deps;
    store.transaction(() => {
      if (getField(store.kv.get(this.#key) ?? null, 'owner') === this.#owner) store.kv.delete(this.#key);
    });
  }
}

export async function runBrainSync(deps: BrainSyncDeps, o: BrainSyncOptions): Promise<BrainSyncReport> {
  const target = ingestUrl(o.url);
  const dryRun = o.dryRun === true;
  const cursor = readCursor(deps.store, o.url);
  const report: BrainSyncReport = {
    target, dryRun, posted: { audit: 0, events: 0 }, skippedEvents: 0, cursor, failed: null, caughtUp: false, entries: [],
  };
  const lease = dryRun ? null : new Lease(deps, target, o.timeoutMs + LEASE_MARGIN_MS);
  if (lease !== null && !lease.hold()) {
    throw new MeshError(MeshErrorCode.AlreadyRunning, `another brain sync to ${target} is running (mesh serve's schedule or another command); try again later`);
  }
  let budget = o.maxPosts ?? DEFAULT_MAX_POSTS_PER_RUN;
  const save = (): void => {
    if (!dryRun) deps.store.kv.set(cursorKey(target), { auditSeq: cursor.auditSeq, eventSeq: cursor.eventSeq }, deps.clock.now());
  };
  /** Posts (or, dry, collects) one entry; false stops the run. */
  const deliver = async (entry: IngestEntry): Promise<boolean> => {
    if (dryRun) {
      report.entries.push(entry);
      return true;
    }
    if (o.signal?.aborted === true || lease?.hold() !== true) return false;
    const res = await deps.transport.send({
      url: target, token: o.token, body: JSON.stringify(entry), headers: { 'idempotency-key': entry.id },
      timeoutMs: o.timeoutMs, connectTimeoutMs: Math.min(o.timeoutMs, BRAIN_CONNECT_TIMEOUT_MS),
    });
    if (res.status !== null && res.status >= 200 && res.status < 300) return true;
    report.failed = { id: entry.id, error: res.status !== null ? `http_${res.status}` : (res.networkError ?? 'network') };
    return false;
  };

  try {
    let auditDone = false;
    audit: while (budget > 0) {
      const page = deps.store.audit.query({ afterSeq: cursor.auditSeq, limit: Math.min(PAGE, budget) });
      if (page.length === 0) {
        auditDone = true;
        break;
      }
      for (const e of page) {
        if (!(await deliver(auditIngest(deps.self, e)))) break audit;
        cursor.auditSeq = e.seq;
        save();
        report.posted.audit++;
        budget--;
      }
    }
    events: while (auditDone && budget > 0) {
      const page = deps.store.events.after(cursor.eventSeq, PAGE);
      if (page.length === 0) break;
      for (const r of page) {
        const entry = eventIngest(deps.self, r);
        if (entry !== null) {
          if (budget === 0) break events;
          if (!(await deliver(entry))) break events;
          report.posted.events++;
          budget--;
        } else {
          report.skippedEvents++;
        }
        cursor.eventSeq = r.seq;
        if (entry !== null) save();
      }
    }
    save(); // skipped events at the end of the log
    report.caughtUp = report.failed === null && deps.store.audit.query({ afterSeq: cursor.auditSeq, limit: 1 }).length === 0 &&
      deps.store.events.after(cursor.eventSeq, 1).length === 0;
  } finally {
    lease?.release();
  }
  if (dryRun) report.cursor = readCursor(deps.store, o.url);
  if (report.failed !== null) deps.logger.warn('brain sync: a post failed; the next run resumes there', { target, entry: report.failed.id, error: report.failed.error });
  return report;
}
