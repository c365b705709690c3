import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';

/** The CLI entry of this installation: bin.js next to the built commands, bin.ts in a source
 *  checkout. Found from this module, not argv[1], which may be a symlink, npx shim or test runner. */
export function cliEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const entry = fileURLToPath(new URL(`./bin${extname(here)}`, import.meta.url));
  if (!existsSync(entry)) throw new MeshError(MeshErrorCode.NotFound, `the mesh CLI entry ${entry} is missing (is this installation complete? run npm ci)`);
  return entry;
}
