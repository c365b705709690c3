// Starts and stops a real OpenClaw gateway for end-to-end tests.
//
// Each gateway gets a private temp state dir (config, HOME, workspace), a free loopback port, its
// own hook and gateway tokens, and the fake model as its default model. Output goes to log files
// in a log dir that survives the run (state dirs are deleted on stop unless MESH_E2E_KEEP=1).
// The process runs in its own process group; `stop()` takes the whole group down, and groups left
// running when the test process exits are killed (see test/support/process-group.ts).
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { buildGatewayConfig, mergeConfig } from './gateway-config.ts';
import type { FakeProvider } from './gateway-config.ts';
import { memoryOf, processTree, runToEnd, spawnGroup, stopGroup } from '../../support/process-group.ts';
import type { ProcInfo, RunResult } from '../../support/process-group.ts';
import { CHILD_PROCESS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, msFromEnv } from '../../support/timeouts.ts';
import { waitUntil } from './wait.ts';

export interface StartGatewayOptions {
  /** Path of `openclaw.mjs` (from installOpenClaw). */
  openclawEntry: string;
  /** The model provider; a FakeModel fits. */
  model: FakeProvider;
  /** Short label used in directory and log names. */
  name?: string;
  hookToken?: string;
  /** Directories put first on PATH for the agent's `exec` tool (`tools.exec.pathPrepend`). For MESH,
   *  pass what `mesh openclaw setup --openclaw-config` wrote, never a wrapper of the test's own. */
  pathPrepend?: string[];
  /** Gateway port (default: a free loopback port). Fixed when `mesh openclaw setup --gateway-url`
   *  has to name it before the gateway starts, as a user's setup does. */
  port?: number;
  /** Agent workspace (default `<stateDir>/workspace`), e.g. the `--workspace` setup wrote into. */
  workspaceDir?: string;
  /** Written to `<workspace>/AGENTS.md` (injected into the agent's system prompt). */
  agentsMd?: string;
  /** Skill directory name → full SKILL.md text (with `name`/`description` frontmatter). */
  skills?: Record<string, string>;
  /** `hooks.mappings` entries. */
  hookMappings?: unknown[];
  /** Deep-merged over the generated config (objects merge, arrays replace). */
  config?: Record<string, unknown>;
  /** Extra environment for the gateway process (and so for the agent's exec commands). */
  env?: Record<string, string>;
  /** Run `openclaw config validate` before starting (about 2 s). */
  validateConfig?: boolean;
  /** Ceiling from spawn to the first `/health` 200 (default GATEWAY_START_TIMEOUT_MS). */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. OpenClaw drains active agent runs for
   *  minutes, so a gateway stopped mid-run always takes this long. Default 10 s. */
  stopGraceMs?: number;
  /** Keep the state dir after stop (default: env MESH_E2E_KEEP=1). */
  keepStateDir?: boolean;
}

export interface HookResponse {
  status: number;
  text: string;
  /** Parsed body when it is JSON (success and body errors are JSON; 401/404/405/429 are text). */
  json: unknown;
}

export interface OpenClawGateway {
  name: string;
  port: number;
  baseUrl: string;
  hookToken: string;
  gatewayToken: string;
  stateDir: string;
  workspaceDir: string;
  /** Gateway stdout+stderr. */
  logFile: string;
  /** OpenClaw's own JSONL log (`logging.file`). */
  openclawLogFile: string;
  pid: number;
  /** Milliseconds from spawn to the first `/health` 200. */
  startupMs: number;
  /** POST `<baseUrl>/hooks/<subpath>`; token defaults to the hook token, `null` sends none. */
  postHook(subpath: string, body: unknown, opts?: { token?: string | null; headers?: Record<string, string> }): Promise<HookResponse>;
  /** Current/peak RSS of the gateway process, and current RSS of its whole process tree, in KiB
   *  (Linux only). */
  memory(): { rssKb: number; peakRssKb: number; treeRssKb: number } | undefined;
  /** The gateway, its workers and running exec'd commands (Linux only). */
  processes(): ProcInfo[];
  logTail(lines?: number): string;
  /** Runs the `openclaw` CLI as a user of this gateway would (same config, state dir, HOME and
   *  environment), e.g. `['message', 'send', '--channel', 'a2a', …]`; its group is killed after
   *  `timeoutMs` (default CHILD_PROCESS_TIMEOUT_MS). */
  runCli(args: string[], opts?: { timeoutMs?: number }): Promise<RunResult>;
  /** Idempotent. SIGTERM to the group, SIGKILL (group and all descendants) after the grace
   *  period; rejects if any of them survives. Removes the state dir unless kept. */
  stop(): Promise<void>;
}

const HEALTH_POLL_MS = 250;
/** One /health probe; a loaded gateway can take seconds to answer, and the loop tries again anyway. */
const HEALTH_PROBE_TIMEOUT_MS = 10_000;

/**
 * Ceiling on a gateway's start (spawn to the first `/health` 200). It answers in 8-16 s on an idle
 * machine and took 93 s on a loaded one; the wait ends at the first 200, so a high ceiling only
 * matters when a gateway never comes up. MESH_E2E_GATEWAY_START_TIMEOUT_MS overrides it.
 */
export const GATEWAY_START_TIMEOUT_MS = msFromEnv('MESH_E2E_GATEWAY_START_TIMEOUT_MS', 240_000);

/** State dirs of gateways not stopped yet, removed synchronously if the test process exits. */
const pendingStateDirs = new Set<() => void>();
let exitCleanupInstalled = false;
function onExitRemove(remove: () => void): () => void {
  if (!exitCleanupInstalled) {
    exitCleanupInstalled = true;
    // Registered after process-group.ts's exit hook (installed when it was imported), so processes die first.
    process.on('exit', () => {
      for (const fn of pendingStateDirs) fn();
    });
  }
  pendingStateDirs.add(remove);
  return () => pendingStateDirs.delete(remove);
}
const LOG_RETENTION_MS = 3 * 24 * 3600_000;

export function e2eLogDir(): string {
  return process.env['MESH_E2E_LOG_DIR'] || join(tmpdir(), 'mesh-e2e-logs');
}

export async function freeLoopbackPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * PATH of the gateway: the test's, without the folder of the Node running the tests. The gateway
 * itself is started by absolute path; what its agent's exec finds as `node` is whatever else is
 * installed (often an older Node, as in a user's login shell), so a `mesh` that relies on
 * `#!/usr/bin/env node` fails here as it would for a user.
 */
function pathWithoutTestNode(): string {
  const nodeDir = dirname(process.execPath);
  return (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '' && d !== nodeDir).join(delimiter);
}

/** Environment of the gateway: ours, minus OpenClaw/MESH/test-runner variables that would leak in
 *  (MESH_HOME in particular: the agent's `mesh` must find its node through what setup wrote). */
function gatewayEnv(stateDir: string, configPath: string, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OPENCLAW_') || k.startsWith('MESH_') || k.startsWith('NODE_TEST') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return {
    ...env,
    PATH: pathWithoutTestNode(),
    HOME: join(stateDir, 'home'),
    // OpenClaw keeps lock files and a default log dir under os.tmpdir(); keep them private too.
    TMPDIR: join(stateDir, 'tmp'),
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    OPENCLAW_SKIP_GMAIL_WATCHER: '1',
    // From docs/gateway/embedding.md: no LAN advertising, no detached respawn (we own the pid).
    OPENCLAW_DISABLE_BONJOUR: '1',
    OPENCLAW_NO_RESPAWN: '1',
    OPENCLAW_NO_AUTO_UPDATE: '1',
    // Plain log files (no ANSI colours) that grep well.
    NO_COLOR: '1',
    ...extra,
  };
}

function pruneOldLogs(dir: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    try {
      if (now - statSync(p).mtimeMs > LOG_RETENTION_MS) rmSync(p, { force: true });
    } catch { /* raced with another run */ }
  }
}

function writeWorkspace(workspaceDir: string, opts: StartGatewayOptions): void {
  mkdirSync(workspaceDir, { recursive: true });
  if (opts.agentsMd !== undefined) writeFileSync(join(workspaceDir, 'AGENTS.md'), opts.agentsMd);
  for (const [name, text] of Object.entries(opts.skills ?? {})) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`skill directory name must be lowercase letters, digits and hyphens: ${name}`);
    mkdirSync(join(workspaceDir, 'skills', name), { recursive: true });
    writeFileSync(join(workspaceDir, 'skills', name, 'SKILL.md'), text);
  }
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function runValidate(entry: string, env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const out = openSync(logFile, 'a');
  try {
    const g = spawnGroup(process.execPath, [entry, 'config', 'validate'], { env, stdio: ['ignore', out, out] });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<{ code: null }>((resolve) => {
      timer = setTimeout(() => resolve({ code: null }), CHILD_PROCESS_TIMEOUT_MS);
    });
    const { code } = await Promise.race([g.exited, timedOut]);
    clearTimeout(timer);
    await stopGroup(g, 1_000);
    if (code !== 0) throw new Error(`openclaw config validate failed (${code === null ? `no exit within ${CHILD_PROCESS_TIMEOUT_MS} ms` : `exit ${code}`}):\n${tailOf(logFile, 20)}`);
  } finally {
    closeSync(out);
  }
}

/**
 * OpenClaw's own start-up refusal when its state-lease heartbeat worker does not report ready within
 * its fixed 5 s (LEASE_HEARTBEAT_START_TIMEOUT_MS in openclaw@2026.9.6): the gateway exits 78 with
 * "state lease heartbeat did not become ready (phase=startup, trigger=timeout". It happens when the
 * machine is too loaded to start a worker thread in 5 s, not because of the config, so the start is
 * tried again (with a fresh state dir); any other start-up exit is reported at once.
 */
const STARTUP_LEASE_TIMEOUT = 'state lease heartbeat did not become ready (phase=startup, trigger=timeout';
/** Starts of one gateway when each ends in STARTUP_LEASE_TIMEOUT. */
const GATEWAY_START_ATTEMPTS = 3;

class GatewayStartError extends Error {
  readonly loadRefusal: boolean;
  constructor(message: string, loadRefusal: boolean) {
    super(message);
    this.loadRefusal = loadRefusal;
  }
}

export async function startGateway(opts: StartGatewayOptions): Promise<OpenClawGateway> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startGatewayOnce(opts);
    } catch (err) {
      if (!(err instanceof GatewayStartError && err.loadRefusal) || attempt >= GATEWAY_START_ATTEMPTS) throw err;
      process.stderr.write(`gateway ${opts.name ?? 'gw'}: OpenClaw refused to start (state lease heartbeat timed out under load); starting it again\n`);
    }
  }
}

async function startGatewayOnce(opts: StartGatewayOptions): Promise<OpenClawGateway> {
  const name = opts.name ?? 'gw';
  const logDir = e2eLogDir();
  mkdirSync(logDir, { recursive: true });
  pruneOldLogs(logDir);
  const stateDir = mkdtempSync(join(tmpdir(), `mesh-e2e-${name}-`));
  const stamp = `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  const logFile = join(logDir, `${stamp}.log`);
  const openclawLogFile = join(logDir, `${stamp}.openclaw.jsonl`);
  const workspaceDir = opts.workspaceDir ?? join(stateDir, 'workspace');
  const configPath = join(stateDir, 'openclaw.json');
  const keep = opts.keepStateDir ?? process.env['MESH_E2E_KEEP'] === '1';
  const removeState = (): void => {
    if (!keep) rmSync(stateDir, { recursive: true, force: true });
  };

  try {
    mkdirSync(join(stateDir, 'home'), { recursive: true });
    mkdirSync(join(stateDir, 'tmp'), { recursive: true });
    writeWorkspace(workspaceDir, opts);
    const port = opts.port ?? await freeLoopbackPort();
    const hookToken = opts.hookToken ?? `hook-${randomBytes(16).toString('hex')}`;
    const gatewayToken = `gw-${randomBytes(16).toString('hex')}`;
    let config = buildGatewayConfig({
      port, gatewayToken, hookToken, model: opts.model, workspaceDir, logFile: openclawLogFile,
      ...(opts.pathPrepend ? { pathPrepend: opts.pathPrepend } : {}),
      ...(opts.hookMappings ? { hookMappings: opts.hookMappings } : {}),
    });
    if (opts.config) config = mergeConfig(config, opts.config);
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    const env = gatewayEnv(stateDir, configPath, opts.env);
    if (opts.validateConfig) await runValidate(opts.openclawEntry, env, logFile);

    const out = openSync(logFile, 'a');
    const started = performance.now();
    const g = spawnGroup(process.execPath, [opts.openclawEntry, 'gateway', 'run', '--port', String(port), '--verbose'], {
      cwd: stateDir, env, stdio: ['ignore', out, out],
    });
    closeSync(out);
    const forgetState = onExitRemove(removeState);
    const baseUrl = `http://127.0.0.1:${port}`;

    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= stopGroup(g, opts.stopGraceMs ?? 10_000).finally(() => {
        forgetState();
        removeState();
      });
      return stopped;
    };

    try {
      await waitUntil(async () => {
        if (g.hasExited()) {
          const { code, signal } = await g.exited;
          const loadRefusal = code === 78 && readFileSync(logFile, 'utf8').includes(STARTUP_LEASE_TIMEOUT);
          throw new GatewayStartError(
            `gateway ${name} exited during startup (${signal ?? `exit ${code}`}${code === 78 ? ', config error' : ''}); log ${logFile}:\n${tailOf(logFile, 40)}`, loadRefusal);
        }
        try {
          const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(HEALTH_PROBE_TIMEOUT_MS) });
          await res.arrayBuffer();
          return res.status === 200;
        } catch {
          return false;
        }
      }, { timeoutMs: opts.startTimeoutMs ?? GATEWAY_START_TIMEOUT_MS, intervalMs: HEALTH_POLL_MS, what: `gateway ${name} /health on port ${port} (log ${logFile})` });
    } catch (err) {
      await stop();
      throw err;
    }
    const startupMs = Math.round(performance.now() - started);

    return {
      name, port, baseUrl, hookToken, gatewayToken, stateDir, workspaceDir, logFile, openclawLogFile,
      pid: g.pgid,
      startupMs,
      async postHook(subpath, body, o = {}) {
        const token = o.token === undefined ? hookToken : o.token;
        const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
        if (token !== null) headers['authorization'] = `Bearer ${token}`;
        const res = await fetch(`${baseUrl}/hooks/${subpath}`, {
          method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS),
        });
        const text = await res.text();
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        return { status: res.status, text, json };
      },
      memory() {
        const main = memoryOf(g.pgid);
        if (!main) return undefined;
        const treeRssKb = processTree(g.pgid).reduce((sum, p) => sum + (memoryOf(p.pid)?.rssKb ?? 0), 0);
        return { ...main, treeRssKb };
      },
      processes: () => processTree(g.pgid),
      logTail: (lines = 40) => tailOf(logFile, lines),
      runCli: (args, o = {}) => runToEnd(process.execPath, [opts.openclawEntry, ...args], {
        cwd: stateDir, env, timeoutMs: o.timeoutMs ?? CHILD_PROCESS_TIMEOUT_MS,
      }),
      stop,
    };
  } catch (err) {
    removeState();
    throw err;
  }
}

/**
 * POST /hooks/agent. OpenClaw answers 503 when the run did not start within its 15 s admission time
 * (a cold gateway's first run on a loaded machine) and cancels it, so posting again is safe.
 */
export async function postAgentHook(gw: OpenClawGateway, body: Record<string, unknown>): Promise<HookResponse> {
  for (let attempt = 1; ; attempt++) {
    const res = await gw.postHook('agent', body);
    if (res.status !== 503 || attempt >= 3) return res;
  }
}
