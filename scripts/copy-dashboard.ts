// Part of `npm run build`: copies the dashboard's files (the allow-list the daemon serves, and only
// those) from src/dashboard/ to dist/dashboard/, where the built daemon looks for them. tsc compiles
// .ts only; the dashboard is plain ES modules for the browser.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DASHBOARD_APP_FILES } from '../src/server/api/dashboard-files.ts';

const root = resolve(import.meta.dirname, '..');
const from = join(root, 'src', 'dashboard');
const to = join(root, 'dist', 'dashboard');
rmSync(to, { recursive: true, force: true });
for (const name of DASHBOARD_APP_FILES) {
  mkdirSync(dirname(join(to, name)), { recursive: true });
  copyFileSync(join(from, name), join(to, name));
}
console.log(`dashboard: ${DASHBOARD_APP_FILES.length} files copied to dist/dashboard`);
