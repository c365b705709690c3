/**
 * Node homes set up with the real CLI the way an operator would: a pair (alpha and beta: init, join
 * each other, an HMAC key made on alpha and imported on beta, signing required in both directions),
 * or a star of the same links between a hub and n leaves.
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

export interface Star {
  hub: string;
  hubPort: number;
  leaves: { name: string; home: string; port: number }[];
}

/**
 * A hub (alpha) and n leaves (p01, p02, …), each leaf joined with the hub both ways and sharing an
 * HMAC key with it (made on the hub, imported on the leaf), signing required in both directions.
 * Leaves do not know each other: every message goes through the hub, as in a rally.
 */
export function createStar(dir: string, hubPort: number, leafPorts: readonly number[]): Star {
  const hub = join(dir, 'alpha');
  cli(['init', '--agent', 'alpha', '--home', hub, '--port', String(hubPort)]);
  const leaves = leafPorts.map((port, i) => ({ name: `p${String(i + 1).padStart(2, '0')}`, home: join(dir, `p${String(i + 1).padStart(2, '0')}`), port }));
  for (const l of leaves) {
    cli(['init', '--agent', l.name, '--home', l.home, '--port', String(l.port)]);
    cli(['join', l.name, '127.0.0.1', String(l.port), tokenOf(l.home, l.name), '--home', hub, '--no-probe']);
    cli(['join', 'alpha', '127.0.0.1', String(hubPort), tokenOf(hub, 'alpha'), '--home', l.home, '--no-probe']);
    cli(['keygen', l.name, '--enable', '--home', hub]);
    cli(['keygen', '--import', 'alpha', '--home', l.home], cli(['keygen', '--show', l.name, '--home', hub]));
    const reg = readJson(registryOf(l.home));
    ((reg['agents'] as Record<string, Json>)['alpha'] as Json)['signing'] = true;
    writeJson(registryOf(l.home), reg);
  }
  return { hub, hubPort, leaves };
}
