/**
 * A hint that another process (a CLI command) may have written the node's database: the SQLite WAL
 * file changed (inotify on Linux, through fs.watch). Readers that follow the event log use it to look
 * at once instead of at their next poll; it is only a hint (it also fires for our own writes, may
 * fire before a commit is visible, or not at all where watching is unsupported), so they keep polling.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { MeshNode } from './mesh-node.ts';

/** Calls `onWrite` whenever the database's WAL file changes; returns the way to stop. */
export function watchDatabaseWrites(node: MeshNode, onWrite: () => void): () => void {
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(`${node.layout.databaseFile}-wal`, { persistent: false }, () => onWrite());
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    // No WAL file yet, or no file watching here: the poll covers it.
  }
  return () => watcher?.close();
}
