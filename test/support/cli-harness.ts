/**
 * In-process CLI runs for tests: `main(argv, ctx)` with captured stdout/stderr, temp node homes
 * made by initHome, peers written to the registry, and a loopback HTTP peer that records hooks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import { initHome } from '../../src/node/init-home.ts';
import { layoutOf } from '../../src/node/home.ts';
import { openNode, type MeshNode } from '../../src/node/mesh-node.ts';
import { readRegistryFile, writeRegistryFile } from '../../src/node/registry.ts';
import type { AuditEntry, NewInboxMessage, NewOutboxMessage } from '../../src/ports/store.ts';
import { BACKGROUND_WORK_TIMEOUT_MS } from './timeouts.ts';

export class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  stdin?: Readable;
  stdout?: TextSink;
}

/** Runs `mesh <argv> --home <home>` in-process. */
export async function runCli(home: string, argv: string[], o: RunOptions = {}): Promise<CliRun> {
  const stdout = o.stdout ?? new TextSink();
  const stderr = new TextSink();
  const stdin = o.stdin ?? (() => { const s = new PassThrough(); s.end(); return s; })();
  const code = await main([...argv, '--home', home], {
    env: {}, cwd: home, stdin, stdout, stderr, signal: o.signal ?? new AbortController().signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A stdin that claims to be a terminal and answers one prompt. */
export function ttyStdin(answer: string): Readable {
  const s = new PassThrough();
  (s as unknown as { isTTY: boolean }).isTTY = true;
  s.end(answer);
  return s;
}

export interface TestHome {
  home: string;
  /** A second handle on the node, as another process would have. Close it before cleanup. */
  node: MeshNode;
  cleanup(): Promise<void>;
}

/** A fresh home for `alpha` with the given peers (name → base URL) in its registry. */
export function makeHome(peers: Record<string, string> = {}, agent = 'alpha'): TestHome {
  const home = mkdtempSync(join(tmpdir(), 'mesh-cli-'));
  initHome({ home, agent });
  addPeers(home, peers);
  const node = openNode({ home, env: {} });
  return {
    home,
    node,
    async cleanup() {
      await node.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function addPeers(home: string, peers: Record<string, string>): void {
  const file = layoutOf(home).registryFile;
  const reg = readRegistryFile(file);
  for (const [name, url] of Object.entries(peers)) reg.agents[name] = { url, token: `tok-${name}`, signing: false };
  writeRegistryFile(file, reg);
}

export function envelope(o: { id: string; from?: string; to?: string; type?: string; subject?: string; replyToken?: string; correlationId?: string }): string {
  return JSON.stringify({
    protocol: 'mesh/1.0', id: o.id, timestamp: '2026-01-01T00:00:00.000Z', from: o.from ?? 'alpha', to: o.to ?? 'beta',
    type: o.type ?? 'request', correlationId: o.correlationId ?? null,
    replyTo: o.replyToken === undefined ? null : { url: 'http://127.0.0.1:1/hooks/beta', token: o.replyToken },
    payload: { subject: o.subject ?? `subject ${o.id}`, body: 'hello', attachments: [], metadata: {} },
  });
}

export function outbox(id: string, peer: string, now: number, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  return {
    id, peer, type: 'request', envelope: envelope({ id, to: peer }), sessionKey: null,
    createdAt: now, expiresAt: now + 3_600_000, nextAttemptAt: now, ...over,
  };
}

export function inbound(id: string, receivedAt: number, over: Partial<NewInboxMessage> = {}): NewInboxMessage {
  return {
    id, from: 'beta', to: 'alpha', type: 'notification', correlationId: null, conversationId: null, idempotencyKey: null,
    subject: `subject ${id}`, envelope: envelope({ id, from: 'beta', to: 'alpha' }), body: `body of ${id}`, auth: 'hmac',
    receivedAt, deliveryState: 'none', nextDeliveryAt: receivedAt, ...over,
  };
}

export function audit(over: Partial<AuditEntry>): AuditEntry {
  return {
    ts: Date.now(), direction: 'out', status: 'sent', id: 'msg_x', from: 'alpha', to: 'beta', type: 'notification',
    subject: 'hello', correlationId: null, conversationId: null, signed: false, encrypted: false, detail: null, ...over,
  };
}

/** A loopback peer answering every hook with `status`; records request paths. */
export async function startPeer(status: number): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A loopback URL nothing listens on (connection refused). */
export async function deadUrl(): Promise<string> {
  const p = await startPeer(200);
  await p.close();
  return p.url;
}

/** Polls `cond` every 20 ms until true or `timeoutMs` (default BACKGROUND_WORK_TIMEOUT_MS) passes. */
export async function until(cond: () => boolean, timeoutMs = BACKGROUND_WORK_TIMEOUT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** RFC 4180 reader for round-trip checks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
    else cell += c;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}
