/**
 * Child script: the bare node:http baseline for event streams, no MESH code involved. GET /events
 * keeps the response open; POST /emit makes one event and writes it to every open stream at once
 * (`data: {"seq","ts"}`, ts = epoch ms when written). Prints {"port": n} once listening on 127.0.0.1.
 */
import http from 'node:http';

const streams = new Set<http.ServerResponse>();
let seq = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(': bare\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  req.resume();
  req.on('end', () => {
    seq += 1;
    const frame = `id: ${seq}\ndata: ${JSON.stringify({ seq, ts: Date.now() })}\n\n`;
    for (const s of streams) s.write(frame);
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof a === 'object' && a !== null ? a.port : 0 })}\n`);
});
