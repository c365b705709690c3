// Enforces the layer rules of ARCHITECTURE.md §3 and forbids import cycles under src/.
// Runs as part of `npm test`; exits 1 with one line per violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..', 'src');

/** Which top-level layers each layer may import (besides itself). */
const allowed: Record<string, readonly string[]> = {
  protocol: ['ports'],
  ports: ['protocol'],
  crypto: ['protocol', 'ports'],
  delivery: ['protocol', 'ports', 'crypto'],
  inbound: ['protocol', 'ports', 'crypto'],
  conversations: ['protocol', 'ports'],
  fleet: ['protocol', 'ports'],
  sessions: ['protocol', 'ports'],
  'brain-sync': ['protocol', 'ports'],
  store: ['protocol', 'ports'],
  transports: ['protocol', 'ports', 'crypto'],
  node: ['protocol', 'ports', 'crypto', 'delivery', 'inbound', 'conversations', 'fleet', 'sessions', 'brain-sync', 'store', 'transports'],
  server: ['protocol', 'ports', 'node', 'sdk', 'mcp'],
  /** The SDK: a typed facade over node/'s use cases (what `import … from 'openclaw-mesh'` gives). */
  sdk: ['protocol', 'ports', 'node'],
  /** The MCP server: tools and resources over the SDK, nothing below it. */
  mcp: ['protocol', 'ports', 'sdk'],
  cli: ['protocol', 'ports', 'node', 'server', 'sdk', 'mcp'],
  testing: ['protocol', 'ports', 'crypto', 'delivery', 'inbound', 'conversations', 'fleet', 'sessions', 'brain-sync', 'store', 'transports'],
  'index.ts': ['protocol', 'ports', 'crypto', 'node', 'sdk'],
};
/** Node built-ins that only adapters, the composition root, the daemon and the CLI may use. */
const ioModules = ['node:http', 'node:https', 'node:sqlite', 'node:child_process', 'node:net'];
const pureLayers = new Set(['protocol', 'ports', 'delivery', 'inbound', 'conversations', 'fleet', 'sessions', 'brain-sync']);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}
const layerOf = (file: string): string => relative(root, file).split(sep)[0] ?? '';
/** Adapters live one level deeper: store/sqlite and store/memory may not import each other. */
const adapterOf = (file: string): string => relative(root, file).split(sep).slice(0, 2).join('/');

const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const files = walk(root);
const graph = new Map<string, string[]>();
const problems: string[] = [];

for (const file of files) {
  const src = readFileSync(file, 'utf8');
  const layer = layerOf(file);
  const deps: string[] = [];
  for (const m of src.matchAll(importRe)) {
    const spec = m[1] ?? m[2] ?? '';
    const rel = relative(root, file);
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      deps.push(target);
      const tLayer = layerOf(target);
      if (tLayer !== layer && !(allowed[layer] ?? []).includes(tLayer)) {
        problems.push(`${rel}: layer '${layer}' may not import '${tLayer}' (${spec})`);
      }
      if ((layer === 'store' || layer === 'transports') && tLayer === layer && adapterOf(file) !== adapterOf(target)) {
        problems.push(`${rel}: adapter ${adapterOf(file)} may not import adapter ${adapterOf(target)}`);
      }
    } else if (pureLayers.has(layer) && ioModules.includes(spec)) {
      problems.push(`${rel}: layer '${layer}' must not use ${spec} (go through a port)`);
    }
  }
  graph.set(file, deps);
}

// Cycle detection: iterative DFS with colours.
const colour = new Map<string, 0 | 1 | 2>();
const stack: string[] = [];
function visit(node: string): void {
  colour.set(node, 1);
  stack.push(node);
  for (const dep of graph.get(node) ?? []) {
    const c = colour.get(dep) ?? 0;
    if (c === 1) {
      const cycle = stack.slice(stack.indexOf(dep)).concat(dep).map((f) => relative(root, f));
      problems.push(`import cycle: ${cycle.join(' -> ')}`);
    } else if (c === 0 && graph.has(dep)) {
      visit(dep);
    }
  }
  stack.pop();
  colour.set(node, 2);
}
for (const f of files) if ((colour.get(f) ?? 0) === 0) visit(f);

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`check-architecture: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`check-architecture: ${files.length} files, layers and cycles OK`);
