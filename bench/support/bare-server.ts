/**
 * Child script: the bare node:http baselines, no MESH code involved.
 *   node bench/support/bare-server.ts sink            reads each POST body, answers 202 {"ok":true}
 *   node bench/support/bare-server.ts relay <handler> answers 202, runs <handler> with the body on
 *     stdin, then POSTs {"id", "answer"} to the URL in the request's x-callback header
 * Prints {"port": n} once listening on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';

const [mode, handler] = process.argv.slice(2);
if (mode !== 'sink' && !(mode === 'relay' && handler !== undefined)) throw new Error('usage: bare-server.ts sink | relay <handler>');
const agent = new http.Agent({ keepAlive: true });

function runHandler(input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(handler as string, [], { stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.once('error', reject);
    child.once('close', () => resolve(Buffer.concat(out).toString('utf8').trim()));
    child.stdin.end(input);
  });
}

function callback(url: string, id: string, answer: string): void {
  const body = JSON.stringify({ id, answer });
  const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  req.on('response', (res) => res.resume());
  req.on('error', () => undefined);
  req.end(body);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"ok":true}');
    if (mode !== 'relay') return;
    const cb = req.headers['x-callback'];
    const id = req.headers['x-id'];
    if (typeof cb !== 'string' || typeof id !== 'string') return;
    void runHandler(Buffer.concat(chunks).toString('utf8')).then((answer) => callback(cb, id, answer), () => undefined);
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof a === 'object' && a !== null ? a.port : 0 })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
