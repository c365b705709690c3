/**
 * Exit codes of every `mesh` command, documented in README "Exit codes". Stable: scripts and agents
 * branch on them.
 */
import type { MeshErrorCode } from '../protocol/errors.ts';

export const ExitCode = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  NotInitialized: 3,
  /** mesh send: accepted into the outbox, first attempt failed transiently; the daemon retries. */
  Queued: 10,
  /** mesh send: failed permanently (4xx, retries exhausted, unknown peer): in dead letters. */
  DeadLettered: 11,
  /** mesh send: the message expired before it could be delivered. */
  Expired: 12,
  /** mesh request --wait / send --wait-delivery: no final answer in time; rally/converse --wait: the round did not complete in time. */
  Timeout: 13,
  /** mesh receive: the envelope failed verification (signature, replay, TTL, schema). */
  Rejected: 14,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Exit code for an error that escaped a command. */
export function exitCodeForError(code: MeshErrorCode | string): ExitCode {
  switch (code) {
    case 'INVALID_ARGUMENT':
    case 'INVALID_NAME':
    case 'INVALID_JSON':
    case 'UNKNOWN_AGENT':
    case 'UNKNOWN_GROUP':
      return ExitCode.Usage;
    case 'NOT_INITIALIZED':
    case 'CONFIG_INVALID':
    case 'SCHEMA_TOO_NEW':
    case 'SCHEMA_TOO_OLD':
      return ExitCode.NotInitialized;
    case 'TIMEOUT':
      return ExitCode.Timeout;
    case 'SIGNATURE_MISSING':
    case 'SIGNATURE_INVALID':
    case 'REPLAY':
    case 'EXPIRED':
    case 'FUTURE_TIMESTAMP':
    case 'INVALID_ENVELOPE':
    case 'DECRYPT_FAILED':
      return ExitCode.Rejected;
    default:
      return ExitCode.Error;
  }
}
