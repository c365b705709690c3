/**
 * Two node homes, alpha and beta, set up with the real CLI the way an operator would: init, join each
 * other, an HMAC key made on alpha and imported on beta, signing required in both directions.
 * Config tweaks a benchmark needs are written into config/mesh.json and stated in its notes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from './processes.ts';

export interface NodePair {
  a: string;
  b: string;
  alphaPort: number;
  betaPort: number;
}

type Json = Record<string, unknown>;

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

function merge(base: Json, extra: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const cur = out[k];
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof cur === 'object' && cur !== null && !Array.isArray(cur)
      ? merge(cur as Json, v as Json)
      : v;
  }
  return out;
}

const registryOf = (home: string): string => join(home, 'config', 'agent-registry.json');

export function tokenOf(home: string, agent: string): string {
  const agents = readJson(registryOf(home))['agents'] as Record<string, Json>;
  const t = agents[agent]?.['token'];
  if (typeof t !== 'string') throw new Error(`no token for ${agent} in ${registryOf(home)}`);
  return t;
}

/** Deep-merges settings into a home's config/mesh.json. */
export function patchNodeConfig(home: string, settings: Json): void {
  const file = join(home, 'config', 'mesh.json');
  writeJson(file, merge(readJson(file), settings));
}

export function createPair(dir: string, alphaPort: number, betaPort: number): NodePair {
  const a = join(dir, 'alpha');
  const b = join(dir, 'beta');
  cli(['init', '--agent', 'alpha', '--home', a, '--port', String(alphaPort)]);
  cli(['init', '--agent', 'beta', '--home', b, '--port', String(betaPort)]);
  cli(['join', 'beta', '127.0.0.1', String(betaPort), tokenOf(b, 'beta'), '--home', a, '--no-probe']);
  cli(['join', 'alpha', '127.0.0.1', String(alphaPort), tokenOf(a, 'alpha'), '--home', b, '--no-probe']);
  cli(['keygen', 'beta', '--enable', '--home', a]);
  cli(['keygen', '--import', 'alpha', '--home', b], cli(['keygen', '--show', 'beta', '--home', a]));
  const reg = readJson(registryOf(b));
  const agents = reg['agents'] as Record<string, Json>;
  (agents['alpha'] as Json)['signing'] = true;
  writeJson(registryOf(b), reg);
  const aAgents = readJson(registryOf(a))['agents'] as Record<string, Json>;
  if (aAgents['beta']?.['signing'] !== true) throw new Error('mesh keygen --enable did not turn signing on for beta');
  return { a, b, alphaPort, betaPort };
}
