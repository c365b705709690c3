/**
 * The conversation commands without daemons: usage errors (exit 2, nothing sent), the JSON shapes of
 * `mesh rally|conv|consensus`, the exit codes of a rally whose agents cannot answer (queued 10,
 * dead-lettered 11, the wait running out 13), and the lifecycle commands. Peers are loopback URLs
 * nothing listens on, or a loopback server that refuses every hook with 401.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deadUrl, makeHome, runCli, startPeer, type TestHome } from './support/cli-harness.ts';
import { waitFor } from './support/mesh-cluster.ts';
import { BACKGROUND_WORK_TIMEOUT_MS } from './support/timeouts.ts';

const CONV_ID_RE = /^conv_\d+_[0-9a-f]{8}$/;
type Json = Record<string, unknown>;

describe('conversation commands on one node', { timeout: 120_000 }, () => {
  let h: TestHome;
  let refuser: Awaited<ReturnType<typeof startPeer>>;

  before(async () => {
    const dead = await deadUrl();
    refuser = await startPeer(401);
    h = makeHome({ beta: dead, gamma: dead, shut: refuser.url });
  });
  after(async () => {
    await h?.cleanup();
    await refuser?.close();
  });

  const cli = (argv: string[]): ReturnType<typeof runCli> => runCli(h.home, argv);
  async function json<T = Json>(argv: string[], want: number): Promise<T> {
    const r = await cli([...argv, '--json']);
    assert.equal(r.code, want, `mesh ${argv.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  test('usage errors exit 2, say what is wrong, and send nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['rally'], /usage: mesh rally "<question>" --agents/],
      [['rally', 'How many?'], /say who to ask: --agents a,b \| all \| @group/],
      [['rally', 'How many?', '--agents', 'beta,zeta'], /unknown agent "zeta" \(known: beta, gamma, shut\)/],
      [['rally', 'How many?', '--agents', 'alpha'], /unknown agent "alpha"/],
      [['rally', 'How many?', '--agents', 'beta,gamma', '--quorum', '3'], /quorum must be a whole number from 1 to the number of agents asked \(2\)/],
      [['rally', 'How many?', '--agents', 'beta', '--quorum', 'two'], /--quorum takes a whole number above 0, got "two"/],
      [['rally', 'How many?', '--agents', 'beta', '--ttl', '0'], /--ttl takes a whole number above 0/],
      [['rally', 'How many?', '--agents', 'beta', '--wait', 'soon'], /--wait takes a number of seconds above 0, got "soon"/],
      [['rally', 'How many?', '--agents', 'beta', '--conv-id', 'conv-12'], /--conv-id "conv-12" is not a conversation id/],
      [['rally', 'How many?', '--agents', 'beta', '--quroum', '1'], /Unknown option '--quroum'.*did you mean --quorum\?/s],
      [['converse', 'debate', 'Tabs or spaces?'], /unknown conversation type "debate": use rally, collab, escalation, broadcast, opinion, brainstorm/],
      [['converse', 'escalation', 'db1 is down'], /an escalation needs its chain in order: --agents first,second,third/],
      [['converse', 'broadcast'], /usage: mesh converse </],
      [['converse', 'rally', 'Hello?', '--agents', 'beta', '--ack'], /ack applies to broadcasts only/],
      [['converse', 'escalation', 'db1', '--agents', 'beta', '--quorum', '1'], /a quorum does not apply to escalation/],
      [['conv', 'shwo'], /unknown sub-command "shwo" for mesh conv — did you mean "show"\?/],
      [['conv', 'show'], /usage: mesh conv show <conv_id>/],
      [['conv', 'show', 'nope'], /"nope" is not a conversation id/],
      [['conv', 'list', 'extra'], /unexpected argument "extra"/],
      [['conv', 'search', '--status', 'done'], /--status "done" is not a status: use active, complete, timeout, closed, cancelled/],
      [['conv', 'search', '--type', 'chat'], /--type "chat" is not a conversation type/],
      [['conv', 'search', '--role', 'boss'], /--role is initiator .* or participant/],
      [['conv', 'search', '--since', 'last tuesday'], /--since "last tuesday" is not a time/],
      [['conv', 'search', '--limit', 'lots'], /--limit must be a non-negative integer, got "lots"/],
      [['conv', 'cleanup', '--days', 'many'], /--days takes a number of days ≥ 0, got "many"/],
      [['consensus'], /usage: mesh consensus <conv_id>/],
      [['consensus', 'set', 'conv_1767225600_0a1b2c3d'], /usage: mesh consensus set <conv_id> <verdict>/],
      [['consensus', 'conv_1767225600_0a1b2c3d', '--round', '0'], /--round takes a round number \(1, 2, …\), got "0"/],
      [['consensus', 'conv_1767225600_0a1b2c3d', 'confirmed'], /to record a verdict: mesh consensus set conv_1767225600_0a1b2c3d <verdict>/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      assert.equal(r.code, 2, `mesh ${argv.join(' ')}\nstderr: ${r.stderr}`);
      assert.match(r.stderr, message, `mesh ${argv.join(' ')}`);
      assert.equal(r.stdout, '', `mesh ${argv.join(' ')}: nothing on stdout`);
    }
    const asJson = await json<{ ok: boolean; error: { code: string; message: string } }>(['rally', 'How many?', '--agents', 'zeta'], 2);
    assert.deepEqual([asJson.ok, asJson.error.code], [false, 'UNKNOWN_AGENT']);
    assert.deepEqual(h.node.store.outbox.pendingCounts(), {}, 'nothing queued');
    assert.deepEqual(h.node.store.conversations.search({}), [], 'no conversation opened');

    for (const argv of [['conv', 'show', 'conv_1767225600_0a1b2c3d'], ['consensus', 'conv_1767225600_0a1b2c3d'], ['conv', 'close', 'conv_1767225600_0a1b2c3d']]) {
      const r = await cli(argv);
      assert.equal(r.code, 1, `a well-formed id that is not here is "not found" (exit 1): ${argv.join(' ')}`);
      assert.match(r.stderr, /no conversation/);
    }
  });

  test('a rally nobody can answer yet: the id on stdout, exit 10 (queued), and every view of it', async () => {
    const r = await cli(['rally', 'How many active rows in orders?', '--agents', 'beta,gamma', '--subject', 'row count']);
    assert.equal(r.code, 10, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, CONV_ID_RE);
    assert.match(r.stderr, /… beta: queued for retry .*msg_[0-9a-f-]{36} — `mesh serve` delivers it/);
    assert.match(r.stderr, /… gamma: queued for retry/);

    const second = await json<Json>(['rally', 'Still there?', '--conv-id', id], 10);
    assert.deepEqual(Object.keys(second), [
      'ok', 'exitCode', 'conversationId', 'type', 'round', 'created', 'deadline', 'targets', 'escalatedTo', 'roundStatus',
      'conversationStatus', 'wait', 'answers', 'missing', 'consensus', 'conversation',
    ]);
    assert.deepEqual(
      [second['ok'], second['exitCode'], second['conversationId'], second['type'], second['round'], second['created'], second['wait'], second['consensus']],
      [false, 10, id, 'rally', 2, false, null, null],
    );
    const targets = second['targets'] as { agent: string; status: string; requestId: string }[];
    assert.deepEqual(targets.map((t) => [t.agent, t.status]), [['beta', 'queued'], ['gamma', 'queued']], 'a follow-up asks the participants by default');
    for (const t of targets) assert.match(t.requestId, /^msg_[0-9a-f-]{36}$/);
    assert.deepEqual([second['roundStatus'], second['conversationStatus'], second['answers'], second['missing']], ['pending', 'active', [], ['beta', 'gamma']]);
    assert.match(String(second['deadline']), /^\d{4}-\d\d-\d\dT/);

    const shown = await json<{ id: string; subject: string; status: string; rounds: Json[] }>(['conv', 'show', id], 0);
    assert.deepEqual([shown.id, shown.subject, shown.status, shown.rounds.length], [id, 'row count', 'active', 2]);
    assert.deepEqual(Object.keys(shown.rounds[0] ?? {}), [
      'round', 'question', 'status', 'createdAt', 'deadline', 'closedAt', 'expected', 'quorum', 'answered', 'missing', 'responses', 'requests',
    ]);
    assert.deepEqual(shown.rounds.map((x) => [x['round'], x['status'], x['question']]), [[1, 'superseded', 'How many active rows in orders?'], [2, 'pending', 'Still there?']]);
    assert.deepEqual((shown.rounds[1]?.['requests'] as { agent: string; delivery: string }[]).map((q) => [q.agent, q.delivery]), [['beta', 'queued'], ['gamma', 'queued']]);

    const human = await cli(['conv', 'show', id]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, new RegExp(`^${id} · rally · active\\n`));
    assert.match(human.stdout, /subject +row count/);
    assert.match(human.stdout, /Round 1 · superseded · 0 of 2 answered/);
    assert.match(human.stdout, /Round 2 · pending · 0 of 2 answered · deadline in \d/);
    assert.match(human.stdout, /waiting for: beta, gamma/);
    assert.match(human.stdout, /no answer from: beta, gamma/);

    const context = await cli(['conv', 'context', id]);
    assert.match(context.stdout, new RegExp(`^<<<MESH-CONTEXT ${id} BEGIN>>>`));
    assert.match(context.stdout, /── Round 2 \(pending, 0 of 2 answered\) ──\nQuestion:\n {2}│ Still there\?\nNo answer from: beta, gamma/);

    const consensus = await json<Json>(['consensus', id], 0);
    assert.deepEqual(Object.keys(consensus), ['conversationId', 'round', 'agents', 'values', 'rawResponses', 'consensus', 'discrepancy', 'detail', 'majority', 'dissenters']);
    assert.deepEqual([consensus['round'], consensus['consensus'], consensus['agents'], consensus['majority']], [1, 'no_data', [], null], 'the last closed round (superseded)');
    assert.match((await cli(['consensus', id, '--round', '2'])).stdout, new RegExp(`^${id} · round 2\\nConsensus: no_data — No responses`));
    assert.equal((await cli(['consensus', id, '--round', '3'])).code, 2, 'a round it does not have');

    const listed = await json<{ total: number; conversations: { id: string; currentRound: number; participants: string[] }[] }>(['conv', 'list'], 0);
    assert.deepEqual(listed.conversations.map((c) => [c.id, c.currentRound, c.participants]), [[id, 2, ['beta', 'gamma']]]);
    const table = await cli(['conv', 'list']);
    assert.match(table.stdout, /ID +TYPE +STATUS +ROUND +ANSWERED +ROLE +PARTICIPANTS +SUBJECT +AGE/);
    assert.match(table.stdout, new RegExp(`${id} +rally +active +2 +0/2 +initiator +beta,gamma +row count`));

    const stats = await json<{ byStatus: Json; byRole: Json; expectedAnswers: number; countedAnswers: number; responseRate: number }>(['conv', 'stats'], 0);
    assert.deepEqual([stats.byStatus, stats.byRole, stats.expectedAnswers, stats.countedAnswers, stats.responseRate], [{ active: 1 }, { initiator: 1 }, 4, 0, 0]);
  });

  test('--wait that ends first: exit 13, "0/1 answered" on stderr, the round as it stands on stdout', async () => {
    const r = await cli(['rally', 'Anyone?', '--agents', 'beta', '--wait', '1']);
    assert.equal(r.code, 13, r.stderr);
    assert.match(r.stderr, /waiting up to 1s for the answers \(Ctrl-C stops waiting; they keep being recorded\)/);
    assert.match(r.stderr, /^round 1: 0\/1 answered · waiting for beta$/m, 'one progress line per change (not a terminal)');
    assert.match(r.stderr, /No answer arrived\. Answers reach this node through `mesh serve`: is it running for this home\?/);
    assert.match(r.stdout, /^conv_\d+_[0-9a-f]{8} · round 1 still open when the wait ended · 0 of 1 answered\n {2}question: Anyone\?\n {2}waiting for: beta\n/);
    assert.match(r.stdout, /Consensus: no_data — No responses/);

    const j = await json<{ exitCode: number; wait: { seconds: number; end: string; elapsedMs: number }; consensus: { consensus: string } }>(['rally', 'Anyone?', '--agents', 'beta', '--wait', '0.5'], 13);
    assert.deepEqual([j.exitCode, j.wait.seconds, j.wait.end, j.consensus.consensus], [13, 0.5, 'wait_expired', 'no_data']);
    assert.ok(j.wait.elapsedMs >= 500);
  });

  test('an agent that refuses: dead-lettered (11), and the round does not wait for it', async () => {
    const r = await cli(['rally', 'Hello?', '--agents', 'shut']);
    assert.equal(r.code, 11, r.stderr);
    assert.match(r.stderr, /✗ shut: dead-lettered \(client_error_401\) msg_\S+ — see `mesh dlq show msg_/);

    const alone = await json<{ exitCode: number; wait: { end: string; elapsedMs: number }; roundStatus: string }>(['rally', 'Hello?', '--agents', 'shut', '--wait', '60'], 11);
    assert.deepEqual([alone.wait.end, alone.roundStatus], ['timeout', 'timeout'], 'nobody left to wait for: the round ends at once');
    assert.ok(alone.wait.elapsedMs < 30_000);

    const mixed = await json<{ conversationId: string; exitCode: number; missing: string[] }>(['rally', 'Hello?', '--agents', 'beta,shut', '--wait', '0.5'], 13);
    assert.deepEqual(mixed.missing, ['beta'], 'waits for beta only');
    const round = (await json<{ rounds: { expected: string[] }[] }>(['conv', 'show', mixed.conversationId], 0)).rounds[0];
    assert.deepEqual(round?.expected, ['beta']);
    assert.match((await cli(['conv', 'show', mixed.conversationId])).stdout, /not delivered: shut \(dead-lettered: client_error_401\)/);
  });

  test('complete, close, cancel, list --all, search filters, timeout and cleanup', async () => {
    const open = (q: string, extra: string[] = []): Promise<{ conversationId: string }> => json(['rally', q, '--agents', 'gamma', ...extra], 10);
    const a = (await open('first question about disks')).conversationId;
    const b = (await open('second question about memory')).conversationId;
    const c = (await open('third question, short-lived', ['--ttl', '1'])).conversationId;

    assert.match((await cli(['conv', 'close', b, 'answered', 'elsewhere'])).stdout, new RegExp(`^${b} is now closed: answered elsewhere\\n`));
    const again = await cli(['conv', 'cancel', b]);
    assert.deepEqual([again.code, /already closed/.test(again.stderr)], [1, true]);
    assert.match((await cli(['conv', 'complete', a])).stdout, /is now complete: Completed/);

    const visible = (await json<{ conversations: { id: string }[] }>(['conv', 'list'], 0)).conversations.map((x) => x.id);
    assert.ok(visible.includes(a) && !visible.includes(b), 'closed ones only with --all');
    assert.ok((await json<{ conversations: { id: string }[] }>(['conv', 'list', '--all'], 0)).conversations.some((x) => x.id === b));

    const search = async (argv: string[]): Promise<string[]> => (await json<{ conversations: { id: string }[] }>(['conv', 'search', ...argv], 0)).conversations.map((x) => x.id);
    assert.deepEqual(await search(['--query', 'disks']), [a]);
    assert.deepEqual(await search(['--query', 'question', '--status', 'closed']), [b], 'the first filter is not dropped (bash was)');
    assert.deepEqual(await search(['--agent', 'gamma', '--status', 'complete,closed', '--query', 'question']), [b, a]);
    assert.deepEqual(await search(['--agent', 'beta', '--query', 'question']), [], 'beta took part in none of these');
    assert.deepEqual(await search(['--query', 'question', '--since', '2099-01-01']), []);
    assert.deepEqual(await search(['--query', 'question', '--since', '1h', '--limit', '1']), [c]);
    assert.match((await cli(['conv', 'search', '--query', 'nothing-like-this'])).stdout, /^No conversations found matching the criteria\.\n$/);

    // c's round has a TTL of 1 s: `mesh conv timeout` (what mesh serve does by itself) times it out.
    const timedOut = await waitFor('the 1 s round to time out', BACKGROUND_WORK_TIMEOUT_MS, async () => {
      const t = await json<{ roundsTimedOut: { conversationId: string }[]; conversationsTimedOut: string[] }>(['conv', 'timeout'], 0);
      return t.conversationsTimedOut.includes(c) ? t : undefined;
    }, 250);
    assert.deepEqual(timedOut.roundsTimedOut.map((x) => x.conversationId), [c]);
    assert.equal((await cli(['conv', 'timeout'])).stdout, 'No expired conversations.\n');
    assert.equal((await json<{ status: string }>(['conv', 'show', c], 0)).status, 'timeout');

    const cleaned = await json<{ deleted: number; ids: string[] }>(['conv', 'cleanup', '--days', '0'], 0);
    for (const id of [a, b, c]) assert.ok(cleaned.ids.includes(id), `${id} was finished`);
    assert.equal((await cli(['conv', 'show', a])).code, 1, 'deleted');
  });

  test('a broadcast without --ack is complete at once; with --ack it tracks acknowledgements', async () => {
    const plain = await cli(['converse', 'broadcast', 'Maintenance at 22:00', '--agents', 'beta,gamma', '--wait', '30']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^conv_\d+_[0-9a-f]{8} \(broadcast\) · round 1 complete · sent to 2, no acknowledgement asked\n/);
    assert.ok(h.node.store.outbox.listPending('gamma').some((m) => m.type === 'notification'), 'without --ack: notifications');
    const ack = await json<{ exitCode: number; missing: string[]; conversation: { ack: boolean } }>(['converse', 'broadcast', 'Use key X', '--agents', 'beta', '--ack', '--wait', '0.3'], 13);
    assert.deepEqual([ack.missing, ack.conversation.ack], [['beta'], true]);
  });

  test('what peers wrote is shown with control characters escaped', async () => {
    const { conversationId: id } = await json<{ conversationId: string }>(['rally', 'Status?', '--agents', 'beta,gamma'], 10);
    const now = Date.now();
    const repo = h.node.store.conversations;
    repo.addResponse({
      id: 'msg_hostile', conversationId: id, round: 1, agent: 'beta', correlationId: null, body: '\x1b[2J\x1b]0;owned\x07 1260\nline two\r\x9b31m',
      receivedAt: now, auth: 'hmac', correlatedBy: 'conversation_id', counted: true, fromParticipant: true,
    });
    for (const argv of [['conv', 'show', id], ['consensus', id, '--round', '1']]) {
      const r = await cli(argv);
      assert.equal(r.code, 0, r.stderr);
      // eslint-disable-next-line no-control-regex -- looking for raw control characters is the point
      assert.doesNotMatch(r.stdout, /[\x1b\x07\x9b\r]/, `${argv.join(' ')}: no raw control characters`);
      assert.match(r.stdout, /\\x1b\[2J\\x1b\]0;owned\\x07 1260/);
    }
    assert.match((await cli(['conv', 'show', id])).stdout, /^ {2}beta {2}\\x1b\[2J\\x1b\]0;owned\\x07 1260\n {8}line two\\x0d\\x9b31m$/m, 'continuation lines stay aligned');
  });
});
