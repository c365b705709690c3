/**
 * Loaded with `node --import` before a CLI run: appends the URL of every module the process resolves
 * to the file named by MESH_TRACE_MODULES (what a command loads, for start-up budget tests).
 */
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env['MESH_TRACE_MODULES'];
if (file !== undefined) {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const r = nextResolve(specifier, context);
      appendFileSync(file, `${r.url}\n`);
      return r;
    },
  });
}
