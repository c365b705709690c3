import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeSecretFile } from '../crypto/secret-file.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { LiveFile } from './live-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'mesh-live-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

function live(name: string, text: string): { file: LiveFile<string>; path: string; reloads: string[] } {
  const path = join(dir, name);
  writeFileSync(path, text);
  const reloads: string[] = [];
  const file = new LiveFile<string>({ path, parse: (t) => t ?? 'missing', onReload: (v) => reloads.push(v) });
  return { file, path, reloads };
}

test('a change by another writer is seen from the next turn of the event loop, once', async () => {
  const { file, path, reloads } = live('a.json', 'one');
  assert.equal(file.get(), 'one');
  writeFileSync(path, 'two!');
  assert.equal(file.get(), 'one', 'the file was looked at in this turn already');
  await nextTurn();
  assert.equal(file.get(), 'two!');
  assert.equal(file.get(), 'two!');
  assert.deepEqual(reloads, ['two!']);
});

test('a file this process writes atomically is seen at once, within the same turn', () => {
  const { file, path } = live('b.json', 'one');
  assert.equal(file.get(), 'one');
  writeFileAtomic(path, 'three');
  assert.equal(file.get(), 'three');
});

test('refresh() makes the next get look at the file within the same turn', () => {
  const { file, path } = live('c.json', 'one');
  assert.equal(file.get(), 'one');
  writeFileSync(path, 'four');
  file.refresh();
  assert.equal(file.get(), 'four');
});

test('a removed file reads as missing from the next turn', async () => {
  const { file, path } = live('d.json', 'one');
  assert.equal(file.get(), 'one');
  rmSync(path);
  await nextTurn();
  assert.equal(file.get(), 'missing');
});

test('a secret file this process writes (the API token) is seen at once too', () => {
  const { file, path } = live('e.json', 'one');
  assert.equal(file.get(), 'one');
  writeSecretFile(path, 'five', { overwrite: true });
  assert.equal(file.get(), 'five');
});
