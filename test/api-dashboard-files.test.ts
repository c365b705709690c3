/**
 * The dashboard's static files on the local API, in-process on a real node: exactly the allow-list is
 * served (the app's files and two library files from node_modules), with the right types, a strict
 * Content-Security-Policy, ETag revalidation and the API's guard; nothing else is (no path from the
 * URL, no listing); and the app's sources keep to the rules the policy relies on.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DASHBOARD_APP_FILES, DASHBOARD_VENDOR_FILES, dashboardDir } from '../src/server/api/dashboard-files.ts';
import { DASHBOARD_CSP } from '../src/server/api/routes-dashboard.ts';
import { apiHarness, type ApiHarness } from './support/api-harness.ts';
import { REPO_ROOT } from './support/mesh-process.ts';

const SRC = join(REPO_ROOT, 'src', 'dashboard');
const require = createRequire(import.meta.url);

function appFilesOnDisk(): string[] {
  return readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(SRC, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

describe('dashboard files on the API listener', () => {
  let h: ApiHarness;

  before(() => {
    h = apiHarness();
  });
  after(async () => {
    await h.close();
  });

  test('the allow-list is exactly the files of src/dashboard, read from there when run from source', () => {
    assert.deepEqual([...DASHBOARD_APP_FILES].sort(), appFilesOnDisk());
    assert.equal(dashboardDir(), `${SRC}/`);
  });

  test('GET /: the page, with a strict CSP, nosniff, no framing, revalidated by its ETag', async () => {
    const r = await h.get('/', { 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none', 'sec-fetch-dest': 'document' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('content-security-policy'), DASHBOARD_CSP);
    assert.match(DASHBOARD_CSP, /^default-src 'self'; script-src 'self'; /);
    assert.doesNotMatch(DASHBOARD_CSP, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    const etag = r.headers.get('etag');
    assert.match(etag ?? '', /^"[A-Za-z0-9_-]{32}"$/);
    const text = await r.text();
    assert.equal(text, readFileSync(join(SRC, 'index.html'), 'utf8'));
    const again = await h.get('/', { 'if-none-match': etag as string });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    const head = await h.request('/', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(text)));
  });

  test('every file of the list is served with its type; the libraries come from node_modules', async () => {
    const types: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
    for (const name of DASHBOARD_APP_FILES) {
      const path = name === 'index.html' ? '/' : `/assets/app/${name}`;
      const r = await h.get(path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('content-type'), types[name.slice(name.lastIndexOf('.') + 1)], path);
      assert.equal(r.headers.get('content-security-policy'), DASHBOARD_CSP, path);
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(readFileSync(join(SRC, name))), `${path} is the file`);
    }
    const vendor = { 'preact.mjs': require.resolve('preact'), 'htm.mjs': join(require.resolve('htm'), '..', 'htm.mjs') };
    assert.deepEqual(Object.keys(DASHBOARD_VENDOR_FILES).sort(), Object.keys(vendor).sort());
    for (const [name, file] of Object.entries(vendor)) {
      const r = await h.get(`/assets/vendor/${name}`);
      assert.equal(r.status, 200, name);
      assert.equal(r.headers.get('content-type'), 'text/javascript; charset=utf-8');
      const body = Buffer.from(await r.arrayBuffer());
      assert.ok(body.equals(readFileSync(file)), `${name} is ${file}`);
      assert.doesNotMatch(body.toString('utf8'), /\bimport\s*[{*\w]|from\s*["']/, `${name} imports nothing (a browser could not resolve a bare name)`);
    }
  });

  test('nothing off the list: no path from the URL, no listing, no other library file', async () => {
    const refused = [
      '/index.html', '/assets/', '/assets/app/', '/assets/app/views/', '/assets/vendor/', '/assets/app/../../package.json',
      '/assets/app/..%2f..%2fpackage.json', '/assets/app/%2e%2e/%2e%2e/package.json', '/assets/vendor/hooks.mjs',
      '/assets/vendor/preact.mjs.map', '/assets/app/store.js.map', '/assets/app/STORE.JS', '/assets/app/store.js/',
      '/assets/app/nope.js', '/src/dashboard/app.js', '/node_modules/preact/package.json', '/dashboard/app.js', '/favicon.ico',
    ];
    for (const path of refused) {
      const r = await h.get(path);
      assert.equal(r.status, 404, path);
      assert.equal(((await r.json()) as { code: string }).code, 'not_found', path);
    }
    const post = await h.post('/', {});
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  test('the guard applies: another site may link to the page but not load its scripts; a rebound Host is refused', async () => {
    const link = await h.get('/', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' });
    assert.equal(link.status, 200, 'a link to the dashboard works');
    const script = await h.get('/assets/app/store.js', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'script', origin: 'http://evil.example' });
    assert.equal(script.status, 403);
    const rebound = await h.get('/', { host: 'evil.example:8880', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none' });
    assert.equal(rebound.status, 403);
    assert.equal(((await rebound.json()) as { code: string }).code, 'forbidden_host');
    const same = await h.get('/assets/app/store.js', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'script' });
    assert.equal(same.status, 200);
  });
});

describe('dashboard sources keep to what the CSP and the text-only rule rely on', () => {
  const files = DASHBOARD_APP_FILES.filter((f) => f.endsWith('.js') || f.endsWith('.html'));
  const read = (f: string): string => readFileSync(join(SRC, f), 'utf8');

  test('no inline script or style in the page; scripts load from the listed files only', () => {
    const page = read('index.html');
    const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length > 0);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs ?? '', /\bsrc="\/assets\/app\/[a-z/-]+\.js"/);
      assert.equal((body ?? '').trim(), '', 'no inline script');
    }
    assert.doesNotMatch(page, /<style|\sstyle=|\son[a-z]+=/i);
    for (const m of page.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const url = m[1] as string;
      const served = url === '/' || DASHBOARD_APP_FILES.some((f) => `/assets/app/${f}` === url) || Object.keys(DASHBOARD_VENDOR_FILES).some((f) => `/assets/vendor/${f}` === url);
      assert.ok(served, `${url} is on the allow-list (and on this origin)`);
    }
  });

  test('modules import only listed files; no HTML sinks, no eval, no style attributes', () => {
    for (const f of files.filter((x) => x.endsWith('.js'))) {
      const src = read(f);
      for (const m of src.matchAll(/^\s*import\b[^'"]*['"]([^'"]+)['"]/gm)) {
        const spec = m[1] as string;
        const target = spec.startsWith('/assets/vendor/')
          ? spec.slice('/assets/vendor/'.length)
          : new URL(spec, `http://x/assets/app/${f}`).pathname.replace(/^\/assets\/app\//, '');
        const listed = spec.startsWith('/assets/vendor/') ? target in DASHBOARD_VENDOR_FILES : DASHBOARD_APP_FILES.includes(target);
        assert.ok(listed, `${f} imports ${spec}, which is not served`);
      }
      assert.doesNotMatch(src, /dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*['"`]/, f);
      assert.doesNotMatch(src, /\sstyle=/, `${f}: no style attributes (the CSP refuses them)`);
    }
  });
});
