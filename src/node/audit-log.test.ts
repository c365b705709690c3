import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AuditEntry } from '../ports/store.ts';
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts';
import { AuditLog } from './audit-log.ts';

const dir = mkdtempSync(join(tmpdir(), 'mesh-audit-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const entry = (id: string): AuditEntry => ({
  ts: 1_767_225_600_000, direction: 'in', status: 'received', id, from: 'alpha', to: 'beta', type: 'notification',
  subject: null, correlationId: null, conversationId: null, signed: true, encrypted: false, detail: 'auth=hmac',
});

test('the entries of one turn reach the mirror together at the end of the turn, in order, and the store at once', async () => {
  const store = openSqliteStore(join(dir, 'a.db'));
  const file = join(dir, 'a.jsonl');
  const log = new AuditLog(store, file);
  log.record(entry('m1'));
  log.record(entry('m2'));
  assert.equal(store.audit.query({}).length, 2, 'the store holds them at once');
  assert.equal(existsSync(file), false, 'the mirror is appended at the end of the turn');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id), ['m1', 'm2']);
  log.record(entry('m3'));
  log.flush();
  assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id), ['m1', 'm2', 'm3'], 'flush() writes at once');
  await new Promise((r) => setImmediate(r));
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 3, 'nothing is written twice');
  store.close();
});

test('lines still pending when the process exits are written on the way out', () => {
  const file = join(dir, 'exit.jsonl');
  const script = `
    import { openSqliteStore } from ${JSON.stringify(new URL('../store/sqlite/open-sqlite-store.ts', import.meta.url).href)};
    import { AuditLog } from ${JSON.stringify(new URL('./audit-log.ts', import.meta.url).href)};
    const log = new AuditLog(openSqliteStore(${JSON.stringify(join(dir, 'exit.db'))}), ${JSON.stringify(file)});
    log.record(${JSON.stringify(entry('m-exit'))});
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(readFileSync(file, 'utf8').trim()) as { id: string }).id, 'm-exit');
});
