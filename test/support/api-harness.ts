/**
 * The local API in-process (hono's `app.request`) on a real node: a temp home made by initHome with
 * its SQLite database, the real services, the real guard. Requests go to http://127.0.0.1:8880 (the
 * Host the guard expects); nothing listens. `other` is a second handle on the same home, as another
 * process (a CLI command) would have: its writes reach the API only through the database.
 */
import { writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { layoutOf } from '../../src/node/home.ts';
import { openNode, type MeshNode } from '../../src/node/mesh-node.ts';
import { buildApi, type ApiAppBundle } from '../../src/server/api/api-server.ts';
import type { Logger } from '../../src/ports/logger.ts';
import { makeHome, type TestHome } from './cli-harness.ts';

export const API_BASE = 'http://127.0.0.1:8880';

export interface ApiHarness {
  home: TestHome;
  node: MeshNode;
  /** Another process's handle on the same home. */
  other: MeshNode;
  api: ApiAppBundle;
  logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
  request(path: string, init?: RequestInit): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  apiToken(): string;
  hookToken(): string;
  close(): Promise<void>;
}

export interface ApiHarnessOptions {
  peers?: Record<string, string>;
  /** Deep enough for these tests: replaces config/mesh.json's `api` section. */
  api?: Record<string, unknown>;
  host?: string;
  heartbeatMs?: number;
  pollIntervalMs?: number;
}

export function apiHarness(o: ApiHarnessOptions = {}): ApiHarness {
  const home = makeHome(o.peers ?? {});
  const layout = layoutOf(home.home);
  if (o.api !== undefined) {
    const cfg = JSON.parse(readFileSync(layout.configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(layout.configFile, `${JSON.stringify({ ...cfg, api: o.api }, null, 2)}\n`);
  }
  const logs: ApiHarness['logs'] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>): void => void logs.push({ level, msg, ...(fields ? { fields } : {}) });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const node = openNode({ home: home.home, env: {}, logger });
  const api = buildApi(node, {
    host: o.host ?? '127.0.0.1', port: () => 8880, version: 'test',
    ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
    ...(o.pollIntervalMs === undefined ? {} : { pollIntervalMs: o.pollIntervalMs }),
  });
  const request = async (path: string, init?: RequestInit): Promise<Response> => api.app.request(`${API_BASE}${path}`, init);
  return {
    home, node, other: home.node, api, logs, request,
    get: (path, headers = {}) => request(path, { headers }),
    post: (path, body, headers = {}) => request(path, {
      method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers },
    }),
    apiToken: () => readFileSync(layout.apiTokenFile, 'utf8').trim(),
    hookToken: () => node.hookToken(),
    close: async () => {
      api.shutdown();
      await node.close();
      await home.cleanup();
    },
  };
}
