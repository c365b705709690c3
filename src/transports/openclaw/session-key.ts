/**
 * Which OpenClaw session a forwarded message runs in. The sender may ask for one
 * (replyContext.sessionKey, see HandOff.sessionKey); it is honoured only inside the prefixes
 * the local gateway allows (hooks.allowedSessionKeyPrefixes, compared case-insensitively like
 * OpenClaw). Otherwise each conversation (or, without one, each sender) gets its own key.
 */
import type { Envelope } from '../../protocol/envelope.ts';
import { stripAgentPrefix } from '../../protocol/hook.ts';

/** OpenClaw caps nothing here, but a key also lands in file names and logs: keep it short and plain. */
const KEY_PART_MAX = 128;

export function hasAllowedPrefix(key: string, allowedPrefixes: readonly string[]): boolean {
  const k = key.toLowerCase();
  return allowedPrefixes.some((p) => k.startsWith(p.toLowerCase()));
}

const keyPart = (s: string): string => s.replace(/[^A-Za-z0-9_.:@-]/g, '_').slice(0, KEY_PART_MAX);

export function sessionKeyFor(
  requested: string | null,
  envelope: Pick<Envelope, 'from' | 'conversationId'>,
  allowedPrefixes: readonly string[],
  defaultPrefix: string,
): string {
  if (requested !== null) {
    // OpenClaw re-scopes keys to the selected agent itself, so `agent:<id>:` is dropped first.
    const k = stripAgentPrefix(requested.trim());
    if (k !== '' && hasAllowedPrefix(k, allowedPrefixes)) return k;
  }
  return defaultPrefix + keyPart(envelope.conversationId ?? envelope.from);
}
