/**
 * What an HTTP answer's body becomes in a TransportResult: its first bytes, with our own token
 * blanked first (a peer may echo it), so a token the cut would split cannot leave its first
 * characters behind. Shared by the HTTP transport and the hook batcher (per-item answers).
 */
export const BODY_SNIPPET_MAX_BYTES = 2048;

export function bodySnippet(text: string, token: string | null, keepBytes = BODY_SNIPPET_MAX_BYTES): string {
  const blanked = token !== null && token.length > 0 ? text.replaceAll(token, '[redacted]') : text;
  const bytes = Buffer.from(blanked, 'utf8');
  return bytes.length <= keepBytes ? blanked : bytes.subarray(0, keepBytes).toString('utf8');
}
