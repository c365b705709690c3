/**
 * The files the dashboard is made of, as an allow-list: each URL path maps to one fixed file, either
 * the browser app's own (src/dashboard/, copied to dist/dashboard/ by the build) or one file of a
 * library it uses, resolved from node_modules (never a CDN: the page works with no internet). No
 * path is ever built from the URL, so nothing outside this list can be served and nothing is listed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CONTENT_TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
} as const;

/** The browser app's files, relative to the dashboard folder; served at `/` (index.html) and `/assets/app/<name>`. */
export const DASHBOARD_APP_FILES: readonly string[] = [
  'index.html',
  'style.css',
  'icon.svg',
  'app.js',
  'api.js',
  'format.js',
  'html.js',
  'live.js',
  'refresher.js',
  'store.js',
  'views/app-view.js',
  'views/conversation-card.js',
  'views/consensus-view.js',
  'views/filters-view.js',
  'views/inbox-view.js',
  'views/lanes-view.js',
  'views/messages-view.js',
  'views/peers-view.js',
  'views/round-view.js',
  'views/text.js',
  'views/verdict-form.js',
];

/** Library files the app imports, served at `/assets/vendor/<name>`: only these, resolved as Node resolves them. */
export const DASHBOARD_VENDOR_FILES: Readonly<Record<string, () => string>> = {
  // preact's ES module build (no imports of its own); the app uses class components, so no hooks module
  // (it imports the bare specifier "preact", which a browser cannot resolve without an inline import map).
  'preact.mjs': () => fileURLToPath(import.meta.resolve('preact')),
  // htm's ES module build; a parser with a cache, no eval.
  'htm.mjs': () => fileURLToPath(import.meta.resolve('htm')),
};

export interface DashboardFile {
  /** URL path it is served at. */
  path: string;
  contentType: string;
  /** Where it is read from (resolved once, when the table is built). */
  resolve: () => string;
}

export interface LoadedFile {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** A strong validator: the SHA-256 of the bytes. */
  etag: string;
}

/** The app's folder: src/dashboard next to src/server when run from source, dist/dashboard when built. */
export function dashboardDir(): string {
  return fileURLToPath(new URL('../../dashboard/', import.meta.url));
}

function typeOf(name: string): string {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  const t = (CONTENT_TYPES as Record<string, string>)[ext === 'mjs' ? 'js' : ext];
  if (t === undefined) throw new Error(`dashboard file ${name}: no content type for .${ext}`);
  return t;
}

/** URL path → file, for every file the dashboard may serve. */
export function dashboardTable(dir = dashboardDir()): Map<string, DashboardFile> {
  const table = new Map<string, DashboardFile>();
  for (const name of DASHBOARD_APP_FILES) {
    const path = name === 'index.html' ? '/' : `/assets/app/${name}`;
    table.set(path, { path, contentType: typeOf(name), resolve: () => `${dir}${name}` });
  }
  for (const [name, resolve] of Object.entries(DASHBOARD_VENDOR_FILES)) {
    const path = `/assets/vendor/${name}`;
    table.set(path, { path, contentType: typeOf(name), resolve });
  }
  return table;
}

/** Reads a file of the table once and keeps it (the files change only with an upgrade, which restarts the daemon). */
export class DashboardFiles {
  readonly #table: Map<string, DashboardFile>;
  readonly #loaded = new Map<string, LoadedFile>();

  constructor(table: Map<string, DashboardFile> = dashboardTable()) {
    this.#table = table;
  }

  paths(): string[] {
    return [...this.#table.keys()];
  }

  /** The file served at `path`, or null when the path is not on the list. Throws when a listed file cannot be read. */
  get(path: string): LoadedFile | null {
    const cached = this.#loaded.get(path);
    if (cached !== undefined) return cached;
    const entry = this.#table.get(path);
    if (entry === undefined) return null;
    const body = new Uint8Array(readFileSync(entry.resolve()));
    const file = { body, contentType: entry.contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` };
    this.#loaded.set(path, file);
    return file;
  }
}
