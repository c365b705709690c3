/**
 * A real browser for dashboard tests: Debian's chromium (/usr/bin/chromium, installed by .ci/run)
 * driven by playwright-core, which never downloads a browser of its own. Each session gets a fresh
 * profile folder, no background networking, and records what a test must see empty: console errors,
 * uncaught page errors, dialogs (an alert() from an injected handler) and requests that leave the
 * dashboard's origin.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions',
];

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

export class BrowserSession {
  readonly context: BrowserContext;
  /** Everything that went wrong in any page of the session (console errors, page errors, dialogs, foreign requests). */
  readonly problems: string[] = [];
  /** Every URL any page requested. */
  readonly requests: string[] = [];
  readonly #profile: string;
  readonly #origin: string;

  private constructor(context: BrowserContext, profile: string, origin: string) {
    this.context = context;
    this.#profile = profile;
    this.#origin = origin;
  }

  /** Launches chromium with a fresh profile; `origin` is the only place pages may fetch from. */
  static async open(origin: string, viewport = { width: 1400, height: 900 }): Promise<BrowserSession> {
    const profile = mkdtempSync(join(tmpdir(), 'mesh-chromium-profile-'));
    try {
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport,
        timeout: 120_000,
        offline: false,
      });
      return new BrowserSession(context, profile, origin);
    } catch (e) {
      rmSync(profile, { recursive: true, force: true });
      throw e;
    }
  }

  /** A new tab, watched for problems. */
  async page(viewport?: { width: number; height: number }): Promise<Page> {
    const page = await this.context.newPage();
    if (viewport !== undefined) await page.setViewportSize(viewport);
    page.setDefaultTimeout(60_000);
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

  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      rmSync(this.#profile, { recursive: true, force: true });
    }
  }
}
