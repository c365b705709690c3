/**
 * AgentDelivery through a local command (`MESH_HANDLER`), like the bash generic receiver's handler
 * mode (bash-mesh-behavior.md §12), without its shell pitfalls: the command is an executable plus an
 * argument array (no shell, and no message data on the command line), the envelope arrives as JSON
 * on stdin, and a few plain values come as environment variables.
 *
 * Outcome: exit 0 → ok, reply = trimmed stdout (null if empty; the `body` string if stdout is a JSON
 * object carrying one). Exit 64–78 (sysexits EX_USAGE..EX_CONFIG) → permanent. Any other exit,
 * a signal or the timeout → transient (retry later). A command that cannot be started → permanent.
 */
import { spawn } from 'node:child_process';
import type { AgentDelivery, HandOff, HandOffResult } from '../../ports/agent-delivery.ts';
import { silentLogger, type Logger } from '../../ports/logger.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { agentEnvelope } from '../../protocol/agent-view.ts';

export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;
export const DEFAULT_HANDLER_MAX_OUTPUT_BYTES = 1024 * 1024;
const DEFAULT_KILL_GRACE_MS = 2_000;
/** After the command exits, how long its stdout/stderr may stay open (held by a stray child). */
const STDIO_DRAIN_MS = 500;
const EX_USAGE = 64;
const EX_CONFIG = 78;

export interface HandlerCommandOptions {
  /** Executable and its arguments, e.g. ['/usr/local/bin/my-handler', '--mesh']. */
  command: readonly string[];
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL to the process group on timeout. */
  killGraceMs?: number;
  /** Per stream (stdout and stderr each). */
  maxOutputBytes?: number;
  /** Base environment (default: this process's); the MESH_* values are added to it. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  logger?: Logger;
}

/** Collects up to `max` bytes and counts the rest. */
class Capture {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  overflow = false;
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  push(chunk: Buffer): void {
    const room = this.max - this.#kept;
    if (chunk.length > room) this.overflow = true;
    if (room <= 0) return;
    const part = chunk.subarray(0, room);
    this.#chunks.push(part);
    this.#kept += part.length;
  }
  text(): string {
    return Buffer.concat(this.#chunks, this.#kept).toString('utf8');
  }
}

/** Environment values cannot hold NUL; everything else is passed as is (nothing is eval'd). */
const envValue = (v: string | null | undefined): string => (v ?? '').replaceAll('\0', '');

export function replyFromStdout(stdout: string): string | null {
  const trimmed = stdout.trim();
  if (trimmed === '') return null;
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      const body = typeof parsed === 'object' && parsed !== null ? (parsed as { body?: unknown }).body : undefined;
      if (typeof body === 'string') return body;
    } catch {
      // Not JSON: the text itself is the reply.
    }
  }
  return trimmed;
}

/** What the command gets for one message: the agent view as one JSON line, and the MESH_* values. */
export function handlerInput(h: HandOff): { stdin: string; env: Record<string, string> } {
  const e = h.envelope;
  return {
    stdin: `${JSON.stringify(agentEnvelope(h))}\n`,
    env: {
      MESH_ID: envValue(e.id),
      MESH_FROM: envValue(e.from),
      MESH_TO: envValue(e.to),
      MESH_TYPE: envValue(e.type),
      MESH_CORRELATION_ID: envValue(e.correlationId),
      MESH_CONVERSATION_ID: envValue(e.conversationId),
      // fleet.dedupAlerts: the alert's decision (new | escalate | recovery) and incident; '' otherwise.
      MESH_ALERT_DECISION: envValue(h.alert?.decision),
      MESH_INCIDENT_ID: envValue(h.alert?.incidentId),
    },
  };
}

export function createHandlerCommandDelivery(o: HandlerCommandOptions): AgentDelivery {
  const [file, ...args] = o.command;
  if (file === undefined || file === '') {
    throw new MeshError(MeshErrorCode.ConfigInvalid, 'the handler command needs an executable path');
  }
  const executable: string = file;
  const timeoutMs = o.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
  const killGraceMs = o.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const maxOutputBytes = o.maxOutputBytes ?? DEFAULT_HANDLER_MAX_OUTPUT_BYTES;
  const logger = o.logger ?? silentLogger;

  function deliver(h: HandOff): Promise<HandOffResult> {
    const input = handlerInput(h);
    const env = { ...(o.env ?? process.env), ...input.env };
    const stdin = input.stdin;

    return new Promise<HandOffResult>((resolve) => {
      const stdout = new Capture(maxOutputBytes);
      const stderr = new Capture(maxOutputBytes);
      let timedOut = false;
      let settled = false;
      const timers: { timeout?: NodeJS.Timeout; kill?: NodeJS.Timeout; drain?: NodeJS.Timeout } = {};

      // detached: the command leads its own process group, so a timeout can stop its children too.
      const child = spawn(executable, args, { cwd: o.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });

      const signalGroup = (signal: NodeJS.Signals): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, signal);
        } catch {
          // The group is already gone.
        }
      };
      const finish = (r: HandOffResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timers.timeout);
        clearTimeout(timers.drain);
        if (!r.ok) logger.warn('handler command failed', { error: r.error, stderrTail: stderr.text().slice(-500) });
        resolve(r);
      };

      child.on('error', (err: NodeJS.ErrnoException) => {
        // Spawn failures (missing file, not executable) will not fix themselves on retry.
        finish({ ok: false, transient: false, error: `handler command could not start (${err.code ?? 'error'})`, retryAfterMs: null });
      });
      child.stdout.on('data', (c: Buffer) => stdout.push(c));
      child.stderr.on('data', (c: Buffer) => stderr.push(c));
      // A handler that ignores stdin and exits makes our write fail with EPIPE: not an error for us.
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin);

      timers.timeout = setTimeout(() => {
        timedOut = true;
        signalGroup('SIGTERM');
        timers.kill = setTimeout(() => signalGroup('SIGKILL'), killGraceMs);
        timers.kill.unref();
      }, timeoutMs);

      const decide = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (timedOut) {
          finish({ ok: false, transient: true, error: `handler timed out after ${timeoutMs} ms`, retryAfterMs: null });
        } else if (code === 0) {
          if (stdout.overflow) {
            finish({ ok: false, transient: false, error: `handler output exceeds ${maxOutputBytes} bytes`, retryAfterMs: null });
          } else {
            finish({ ok: true, reply: replyFromStdout(stdout.text()) });
          }
        } else if (code !== null) {
          const permanent = code >= EX_USAGE && code <= EX_CONFIG;
          finish({ ok: false, transient: !permanent, error: `handler exited with code ${code}`, retryAfterMs: null });
        } else {
          finish({ ok: false, transient: true, error: `handler killed by ${signal ?? 'signal'}`, retryAfterMs: null });
        }
      };

      child.on('exit', (code, signal) => {
        // Normally 'close' follows once stdout/stderr end; a stray child holding them must not stall us.
        timers.drain = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          decide(code, signal);
        }, STDIO_DRAIN_MS);
      });
      // The SIGKILL timer (unref'd) is left to run: a group member that ignored SIGTERM may outlive
      // the leader and its pipes.
      child.on('close', decide);
    });
  }

  return { name: 'handler-command', deliver };
}
