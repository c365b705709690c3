/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against real daemons:
 * alpha serves the API and dashboard, beta and gamma answer through handler scripts that wait until
 * the test lets them, so the page can be watched filling in. The page loads with no console error and
 * no request leaving 127.0.0.1; a rally started with the real CLI appears and fills in live (lanes,
 * responses, tally); cards expand and collapse; a verdict set in the page is what the API and
 * `mesh conv show` report; a request in the inbox is answered from the page and reaches the requester,
 * and a second tab sees it acknowledged; hostile bodies stay text; a 390 px screen stacks the lanes;
 * search and filters narrow the board; after a daemon restart the page catches up without reloading.
 * Screenshots are written to a folder under the temp dir (printed; MESH_DASHBOARD_SCREENSHOTS to choose).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { BrowserSession, browserMissing, screenshotDir } from './support/browser.ts';
import { MeshCluster, type ClusterNode } from './support/mesh-cluster.ts';
import { BROWSER_UPDATE_TIMEOUT_MS, CLI_WAIT_RUN_TIMEOUT_MS, CLI_WAIT_SECONDS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const missing = browserMissing();
const LIVE_MS = BROWSER_UPDATE_TIMEOUT_MS;

// What beta answers: markup, a closing script tag, ANSI escapes, a right-to-left override.
const HOSTILE = '1260 <img src=x onerror="window.__xss=1"></script><script>window.__xss=2</script> \u001b[31mred\u001b[0m \u202Egnp.exe';
const QUESTION = 'How many active rows in orders? <img src=x onerror="window.__xss=3">';

/** A handler that answers requests with the contents of `gate`, once the test has written it. */
function gatedHandler(cluster: MeshCluster, name: string, gate: string): string {
  return cluster.script(`${name}-handler.mjs`, [
    `#!${process.execPath}`,
    "import { existsSync, readFileSync } from 'node:fs';",
    "let text = ''; process.stdin.setEncoding('utf8');",
    "process.stdin.on('data', (c) => (text += c));",
    "process.stdin.on('end', () => {",
    "  if (JSON.parse(text).type !== 'request') return;",
    '  const until = Date.now() + 240000;',
    `  const wait = () => existsSync(${JSON.stringify(gate)}) ? process.stdout.write(readFileSync(${JSON.stringify(gate)}, 'utf8'))`,
    '    : Date.now() > until ? process.exit(1) : setTimeout(wait, 50);',
    '  wait();',
    '});',
    '',
  ].join('\n'));
}

const card = (page: Page, id: string): Locator => page.locator(`article.card[data-conv-id="${id}"]`);
const laneOf = async (page: Page, id: string): Promise<string | null> => card(page, id).evaluate((el) => el.closest('[data-lane]')?.getAttribute('data-lane') ?? null);

async function waitForLane(page: Page, id: string, lane: string): Promise<void> {
  await page.locator(`[data-lane="${lane}"] article.card[data-conv-id="${id}"]`).waitFor({ timeout: LIVE_MS });
}

describe('the dashboard in a real browser', { skip: missing ?? false, timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;
  let gamma: ClusterNode;
  let api: string;
  let browser: BrowserSession;
  let page: Page;
  let shots: string;
  let conv: string;
  let shot = 0;

  const snap = async (t: TestContext, name: string, p: Page = page): Promise<void> => {
    const file = join(shots, `${String(++shot).padStart(2, '0')}-${name}.png`);
    await p.screenshot({ path: file, fullPage: true });
    t.diagnostic(`screenshot: ${file}`);
  };
  const getJson = async (path: string): Promise<Json> => (await (await fetch(`${api}${path}`)).json()) as Json;

  before(async () => {
    shots = screenshotDir();
    console.log(`dashboard screenshots: ${shots}`);
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta', 'gamma'] });
    [alpha, beta, gamma] = [cluster.node('alpha'), cluster.node('beta'), cluster.node('gamma')];
    for (const n of [beta, gamma]) {
      n.updateConfig({ inbound: { handOff: 'handler' }, handler: { command: [gatedHandler(cluster, n.name, cluster.path(`answer-${n.name}`))], timeoutMs: 300_000 } });
    }
    await Promise.all([alpha.serve({ api: true }), beta.serve(), gamma.serve()]);
    api = alpha.daemon?.apiUrl as string;
    browser = await BrowserSession.open(api);
    page = await browser.page();
  });

  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  test('the page loads from the node alone and goes live', async (t) => {
    await page.goto(`${api}/`);
    await page.locator('[data-connection="live"]').waitFor({ timeout: LIVE_MS });
    assert.equal(await page.locator('.top .agent').textContent(), 'alpha');
    assert.equal(await page.locator('[data-lane]').count(), 4);
    assert.deepEqual(await page.locator('[data-lane] > h3').evaluateAll((hs) => hs.map((h) => h.firstChild?.textContent?.trim())), ['Waiting on answers', 'Active', 'Complete', 'Timed out']);
    await page.locator('tr[data-peer="beta"]').waitFor();
    await page.locator('tr[data-peer="gamma"]').waitFor();
    await snap(t, 'empty');
    assert.deepEqual(browser.problems, []);
    assert.ok(browser.requests.some((u) => u.endsWith('/assets/vendor/preact.mjs')), 'preact came from the node');
    assert.ok(browser.requests.some((u) => u.includes('/api/events?after=')), 'subscribed to the event stream');
  });

  test('a rally started with the CLI appears and fills in live; expand and collapse', async (t) => {
    const started = await alpha.mesh(['rally', QUESTION, '--agents', 'beta,gamma']);
    assert.equal(started.code, 0, started.stderr);
    conv = started.stdout.trim();
    assert.match(conv, /^conv_\d+_[0-9a-f]{8}$/);

    await waitForLane(page, conv, 'waiting');
    assert.match(await card(page, conv).locator('.progress').textContent() ?? '', /round 1: 0\/2 answered/);
    await snap(t, 'rally-waiting');

    const head = card(page, conv).locator('.card-head');
    await head.click();
    assert.equal(await head.getAttribute('aria-expanded'), 'true');
    const body = card(page, conv).locator('.card-body');
    await body.locator('.round[data-round="1"]').waitFor();
    assert.match(await body.locator('.missing').textContent() ?? '', /Waiting for: beta.*, gamma/);
    assert.equal(await body.locator('.question').textContent(), QUESTION, 'the question, as text');

    writeFileSync(cluster.path('answer-beta'), HOSTILE);
    await body.locator('.response[data-agent="beta"]').waitFor({ timeout: LIVE_MS });
    await waitForLane(page, conv, 'active');
    assert.match(await card(page, conv).locator('.progress').textContent() ?? '', /1\/2 answered/);
    await snap(t, 'rally-one-answer');

    writeFileSync(cluster.path('answer-gamma'), '1262');
    await waitForLane(page, conv, 'complete');
    await body.locator('.response[data-agent="gamma"]').waitFor({ timeout: LIVE_MS });
    assert.equal(await body.locator('.response[data-agent="gamma"] .body').textContent(), '1262');
    await body.locator('.tally li').nth(1).waitFor({ timeout: LIVE_MS });
    assert.equal(await body.locator('.tally li').count(), 2, 'two different answers in the tally');
    // bash's rule reads the first number of each answer: 1260 and 1262 are within 1 %.
    assert.equal(await body.locator('.consensus').getAttribute('data-consensus'), 'near_match');
    await snap(t, 'rally-complete-expanded');

    await head.click();
    assert.equal(await head.getAttribute('aria-expanded'), 'false');
    assert.equal(await card(page, conv).locator('.card-body').count(), 0, 'collapsed');
    await head.click();
    await body.locator('.response[data-agent="gamma"]').waitFor();
    assert.equal(await laneOf(page, conv), 'complete');
    assert.deepEqual(browser.problems, []);
  });

  test('hostile bodies stay text: no element, no script, no handler ran', async (t) => {
    const reply = card(page, conv).locator('.response[data-agent="beta"] .body');
    const shown = await reply.textContent();
    assert.ok(shown?.startsWith('1260 <img src=x onerror="window.__xss=1"></script><script>window.__xss=2</script> '), shown ?? '');
    assert.ok(shown?.includes('\\x1b[31mred\\x1b[0m'), 'escape characters are shown, not interpreted');
    assert.ok(shown?.includes('\\u202egnp.exe'), 'the right-to-left override is shown, not applied');
    assert.equal(await reply.locator('span.ctrl').count(), 3, 'each hidden character marked');
    assert.equal(await reply.locator('*:not(span.ctrl)').count(), 0, 'no other element in the body');
    assert.equal(await reply.locator('span.ctrl *').count(), 0);
    assert.equal(await page.locator('main img').count(), 0);
    assert.equal(await page.locator('script').count(), 1, 'only the page\'s own module script');
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.match(await card(page, conv).locator('.card-head .subject').textContent() ?? '', /^How many active rows in orders\? <img src=x onerror=/, 'the subject (cut short by the rally), as text');
    await snap(t, 'hostile-text');
    assert.deepEqual(browser.problems, []);
  });

  test('a verdict set in the page is the one the API and mesh conv show report', async (t) => {
    const form = card(page, conv).locator('form.verdict-form');
    await form.locator('input[name="verdict"]').fill('1260 confirmed <b>by hand</b>');
    await form.locator('textarea[name="summary"]').fill('gamma counted the archive table too');
    await form.locator('button[type="submit"]').click();
    await form.locator('.ok').waitFor({ timeout: LIVE_MS });
    await card(page, conv).locator('.current-verdict .verdict-text').waitFor({ timeout: LIVE_MS });
    assert.equal(await card(page, conv).locator('.current-verdict .verdict-text').textContent(), '1260 confirmed <b>by hand</b>');
    await card(page, conv).locator('.card-head .badge.verdict').waitFor({ timeout: LIVE_MS });

    const fromApi = await getJson(`/api/conversations/${conv}`);
    assert.equal(fromApi['verdict'].verdict, '1260 confirmed <b>by hand</b>');
    assert.equal(fromApi['verdict'].summary, 'gamma counted the archive table too');
    assert.equal(fromApi['verdict'].setBy, 'alpha');
    assert.equal(fromApi['verdict'].basis.length, 2);
    const shown = await alpha.meshJson<Json>(['conv', 'show', conv]);
    assert.equal(shown['verdict'].verdict, '1260 confirmed <b>by hand</b>');
    const human = await alpha.mesh(['conv', 'show', conv]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /1260 confirmed <b>by hand<\/b>/);
    await snap(t, 'verdict');
    assert.deepEqual(browser.problems, []);
  });

  test('a request in the inbox is answered from the page; another tab sees it acknowledged', async (t) => {
    const other = await browser.page();
    await other.goto(`${api}/`);
    await other.locator('[data-connection="live"]').waitFor({ timeout: LIVE_MS });

    const asking = gamma.mesh(['request', 'alpha', 'Can you approve deploy 42? <script>alert(1)</script>', '--wait', String(CLI_WAIT_SECONDS)], { timeoutMs: CLI_WAIT_RUN_TIMEOUT_MS });
    const row = page.locator('.message-list .message-row.unread', { hasText: 'Can you approve deploy 42?' });
    await row.waitFor({ timeout: LIVE_MS });
    const id = await row.getAttribute('data-message-id') as string;
    await other.locator(`.message-row[data-message-id="${id}"]`).waitFor({ timeout: LIVE_MS });
    await row.click();
    const reader = page.locator(`.reader[data-message-id="${id}"]`);
    assert.equal(await reader.locator('.body').textContent(), 'Can you approve deploy 42? <script>alert(1)</script>');
    await snap(t, 'inbox-request');
    await reader.locator('textarea[name="body"]').fill('approved, go ahead');
    await reader.locator('form.reply-form button[type="submit"]').click();
    await reader.locator('p.ok', { hasText: 'Answer sent' }).waitFor({ timeout: LIVE_MS });
    assert.match(await reader.locator('.facts').textContent() ?? '', /· read/);
    assert.equal(await reader.locator('button', { hasText: 'Mark read' }).count(), 0, 'answered and acknowledged');

    const answered = await asking;
    assert.equal(answered.code, 0, answered.stderr);
    assert.match(answered.stdout, /approved, go ahead/);
    // The other tab did nothing: the acknowledgement reached it as an event.
    await other.locator(`.message-row[data-message-id="${id}"]`).waitFor({ state: 'detached', timeout: LIVE_MS });
    const inbox = await getJson('/api/inbox?unread=1');
    assert.ok(!inbox['messages'].some((m: Json) => m['id'] === id), 'acknowledged');
    await snap(t, 'inbox-answered');
    await other.close();
    assert.deepEqual(browser.problems, []);
  });

  test('on a 390 px screen the lanes stack and nothing is wider than the screen', async (t) => {
    const narrow = await browser.page({ width: 390, height: 844 });
    await narrow.goto(`${api}/`);
    await narrow.locator('[data-connection="live"]').waitFor({ timeout: LIVE_MS });
    await narrow.locator(`article.card[data-conv-id="${conv}"] .card-head`).click();
    await narrow.locator(`article.card[data-conv-id="${conv}"] .tally li`).first().waitFor({ timeout: LIVE_MS });
    const boxes = await narrow.locator('[data-lane]').evaluateAll((ls) => ls.map((l) => l.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width })));
    for (let i = 1; i < boxes.length; i++) {
      assert.equal(boxes[i]?.x, boxes[0]?.x, 'one column');
      assert.ok((boxes[i]?.y ?? 0) > (boxes[i - 1]?.y ?? 0), 'one below the other');
    }
    const widest = await narrow.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(widest <= 390, `page is ${widest} px wide`);
    await snap(t, 'narrow-390', narrow);
    await narrow.close();
    assert.deepEqual(browser.problems, []);
  });

  test('search and filters narrow the board on the node: words of a question, of an answer, none', async (t) => {
    const search = page.locator('form.filters input[name="q"]');
    const gone = (): Promise<void> => card(page, conv).waitFor({ state: 'detached', timeout: LIVE_MS });
    const back = (): Promise<void> => card(page, conv).waitFor({ timeout: LIVE_MS });
    await search.fill('no such words here');
    await gone();
    await page.locator('p.empty', { hasText: 'No conversation matches these filters.' }).waitFor({ timeout: LIVE_MS });
    await snap(t, 'search-no-match');
    await search.fill('active rows in ord'); // a phrase of the question, the last word a prefix
    await back();
    await search.fill('nothing like it');
    await gone();
    await search.fill('1262'); // gamma's answer
    await back();
    assert.ok(browser.requests.some((u) => new URL(u).pathname === '/api/conversations' && new URL(u).searchParams.get('q') === '1262'), 'searched on the node');
    await search.fill('');
    await page.locator('form.filters select[name="type"]').selectOption('collab');
    await gone();
    await page.locator('form.filters select[name="type"]').selectOption('');
    await card(page, conv).locator('.card-body').waitFor({ timeout: LIVE_MS });
    assert.deepEqual(browser.problems, []);
  });

  test('after the daemon restarts the page resumes from its last event and catches up on what it missed', async (t) => {
    const port = Number(new URL(api).port);
    const before = browser.problems.length;
    const healthReads = (): number => browser.requests.filter((u) => u.endsWith('/api/health')).length;
    const loadsBefore = healthReads();
    await alpha.daemon?.stop();
    await page.locator('[data-connection="reconnecting"]').waitFor({ timeout: LIVE_MS });
    // While the daemon is down, the CLI changes the conversation (an event in the log nobody streams).
    const closed = await alpha.mesh(['conv', 'close', conv, 'closed while the page was away']);
    assert.equal(closed.code, 0, closed.stderr);
    await alpha.serve({ api: port });
    await page.locator('[data-connection="live"]').waitFor({ timeout: LIVE_MS });
    await card(page, conv).and(page.locator('[data-status="closed"]')).waitFor({ timeout: LIVE_MS });
    // The expanded card's detail reloads on the same event as the list (separately, so wait for it too).
    await card(page, conv).locator('.card-body .facts', { hasText: 'closed while the page was away' }).waitFor({ timeout: LIVE_MS });
    assert.equal(healthReads(), loadsBefore, 'EventSource reconnected by itself with Last-Event-ID: the page did not start over');
    await snap(t, 'resumed-after-restart');
    // Only the refused connections while the daemon was down.
    assert.deepEqual(browser.problems.slice(before).filter((p) => !/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET/.test(p)), []);
  });
});
