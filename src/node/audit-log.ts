/**
 * The audit trail: every entry goes to the store (authoritative, queryable by `mesh export`) and is
 * mirrored as one JSON line to logs/mesh-audit.jsonl for people and bash-era tools. The lines of one
 * turn of the event loop are appended together at the end of the turn (one open/write/close for a
 * batch of messages instead of one per entry), and at the latest when the process exits or the node
 * closes. The mirror is rotated by size (rename is safe with concurrent appenders: each append opens
 * the path anew).
 */
import { appendFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import type { AuditSink } from '../ports/events.ts';
import type { AuditEntry, Store } from '../ports/store.ts';

export const AUDIT_ROTATE_BYTES = 10 * 1024 * 1024;
export const AUDIT_ROTATE_KEEP = 3;

/** The JSONL shape: bash's audit keys first (§4.11), then ours. Secret-free by construction. */
export function auditLine(e: AuditEntry): string {
  return `${JSON.stringify({
    ts: new Date(e.ts).toISOString(),
    from: e.from,
    to: e.to,
    type: e.type,
    id: e.id,
    subject: e.subject,
    status: e.status,
    correlationId: e.correlationId,
    conversationId: e.conversationId,
    signed: e.signed,
    encrypted: e.encrypted,
    direction: e.direction,
    detail: e.detail,
  })}\n`;
}

/** Mirrors with lines not yet appended: written out when the process exits. */
const unflushed = new Set<AuditLog>();
let exitHooked = false;

export class AuditLog implements AuditSink {
  readonly #store: Store;
  readonly #file: string | null;
  #pending: string[] = [];

  constructor(store: Store, file: string | null) {
    this.#store = store;
    this.#file = file;
  }

  record(entry: AuditEntry): void {
    this.#store.audit.append(entry);
    if (this.#file === null) return;
    if (this.#pending.length === 0) {
      unflushed.add(this);
      if (!exitHooked) {
        exitHooked = true;
        process.once('exit', () => {
          for (const log of unflushed) log.flush();
        });
      }
      setImmediate(() => this.flush());
    }
    this.#pending.push(auditLine(entry));
  }

  /** Appends the lines recorded so far to the mirror. */
  flush(): void {
    if (this.#file === null || this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    unflushed.delete(this);
    try {
      appendFileSync(this.#file, text, { mode: 0o600 });
    } catch {
      // The mirror is best effort: the store already holds the entries.
    }
  }

  /** Rotates the mirror when it is larger than `maxBytes`: f → f.1 → f.2 …, keeping `keep` files. */
  rotateIfLarge(maxBytes = AUDIT_ROTATE_BYTES, keep = AUDIT_ROTATE_KEEP): boolean {
    const f = this.#file;
    if (f === null || !existsSync(f) || statSync(f).size < maxBytes) return false;
    rmSync(`${f}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) if (existsSync(`${f}.${i}`)) renameSync(`${f}.${i}`, `${f}.${i + 1}`);
    renameSync(f, `${f}.1`);
    return true;
  }
}
