/**
 * A real browser for dashboard tests: Debian's chromium (/usr/bin/chromium, installed by .ci/run)
 * driven by playwright-core, which never downloads a browser of its own. Chromium is started here,
 * through process-group.ts, as the leader of a process group of its own (its zygote, GPU, network and
 * renderer processes are its descendants), and playwright connects to it over the DevTools protocol
 * on 127.0.0.1. So closing a session stops the whole group (SIGTERM, then SIGKILL of whatever is left)
 * and a test file that fails, times out or is interrupted kills it like any other child.
 *
 * Each session gets a fresh profile folder, no background networking, and records what a test must
 * see empty: console errors, uncaught page errors, dialogs (an alert() from an injected handler) and
 * requests that leave the dashboard's origin.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { keepAliveUntil, spawnGroup, stopGroup, type GroupChild } from './process-group.ts';
import { BROWSER_LAUNCH_TIMEOUT_MS, BROWSER_UPDATE_TIMEOUT_MS, CLEANUP_STOP_GRACE_MS } from './timeouts.ts';

export const CHROMIUM = '/usr/bin/chromium';

// --hide-scrollbars: scrollbars take no width, as on a phone (and as playwright's own launch does);
// with classic 15 px scrollbars a full-page screenshot of headless chromium cuts off the right edge.
export const CHROMIUM_ARGS = [
  '--headless', '--hide-scrollbars', '--mute-audio', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions',
  '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
];

/** How much of chromium's stderr is kept for an error message. */
const STDERR_KEPT_CHARS = 8_000;
const DEVTOOLS_RE = /DevTools listening on (ws:\/\/127\.0\.0\.1:\d+\/\S+)/;

/** Why the browser tests cannot run here, or null. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`;
}

/** Where screenshots go: $MESH_DASHBOARD_SCREENSHOTS, or a new folder under the temp dir (kept: they are the artefacts). */
export function screenshotDir(): string {
  const given = process.env['MESH_DASHBOARD_SCREENSHOTS'];
  if (given !== undefined && given !== '') {
    mkdirSync(given, { recursive: true });
    return given;
  }
  return mkdtempSync(join(tmpdir(), 'mesh-dashboard-screenshots-'));
}

/** Resolves with chromium's DevTools WebSocket URL once it prints it; rejects when it exits or takes too long. */
function devtoolsEndpoint(g: GroupChild): Promise<string> {
  const stderr = g.child.stderr;
  if (stderr === null) return Promise.reject(new Error('chromium was started without a stderr pipe'));
  let log = '';
  stderr.setEncoding('utf8');
  return keepAliveUntil(new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools endpoint within ${BROWSER_LAUNCH_TIMEOUT_MS} ms\n${log}`)), BROWSER_LAUNCH_TIMEOUT_MS);
    // Keep reading after the endpoint: a pipe nobody drains would block chromium once it is full.
    stderr.on('data', (c: string) => {
      log = (log + c).slice(-STDERR_KEPT_CHARS);
      const m = DEVTOOLS_RE.exec(log);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void g.exited.then((x) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${String(x.code ?? x.signal)}) before it listened\n${log}`));
    });
  }));
}

export class BrowserSession {
  readonly context: BrowserContext;
  /** Everything that went wrong in any page of the session (console errors, page errors, dialogs, foreign requests). */
  readonly problems: string[] = [];
  /** Every URL any page requested. */
  readonly requests: string[] = [];
  readonly #group: GroupChild;
  readonly #browser: Browser;
  readonly #profile: string;
  readonly #origin: string;

  private constructor(group: GroupChild, browser: Browser, context: BrowserContext, profile: string, origin: string) {
    this.#group = group;
    this.#browser = browser;
    this.context = context;
    this.#profile = profile;
    this.#origin = origin;
  }

  /** Starts chromium with a fresh profile in a process group of its own; `origin` is the only place pages may fetch from. */
  static async open(origin: string, viewport = { width: 1400, height: 900 }): Promise<BrowserSession> {
    const profile = mkdtempSync(join(tmpdir(), 'mesh-chromium-profile-'));
    const group = spawnGroup(CHROMIUM, [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const endpoint = await devtoolsEndpoint(group);
      const browser = await chromium.connectOverCDP(endpoint, { timeout: BROWSER_LAUNCH_TIMEOUT_MS });
      const context = await browser.newContext({ viewport });
      return new BrowserSession(group, browser, context, profile, origin);
    } catch (e) {
      await stopGroup(group, CLEANUP_STOP_GRACE_MS);
      rmSync(profile, { recursive: true, force: true });
      throw e;
    }
  }

  /** Pid of chromium's main process, which leads its process group. */
  get pgid(): number {
    return this.#group.pgid;
  }

  /** A new tab, watched for problems. */
  async page(viewport?: { width: number; height: number }): Promise<Page> {
    const page = await this.context.newPage();
    if (viewport !== undefined) await page.setViewportSize(viewport);
    page.setDefaultTimeout(BROWSER_UPDATE_TIMEOUT_MS);
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') this.problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      this.problems.push(`dialog ${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => {
      this.requests.push(r.url());
      if (!r.url().startsWith(`${this.#origin}/`)) this.problems.push(`request outside ${this.#origin}: ${r.url()}`);
    });
    return page;
  }

  /** Disconnects, then stops chromium's whole process group (throws if any of it survives SIGKILL). */
  async close(): Promise<void> {
    try {
      await this.#browser.close().catch(() => undefined);
      await stopGroup(this.#group, CLEANUP_STOP_GRACE_MS);
    } finally {
      rmSync(this.#profile, { recursive: true, force: true });
    }
  }
}
