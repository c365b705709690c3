/**
 * What an alert text is about: its host, its check, and whether it says the problem recovered. bash's
 * mesh-dedup.sh rules (bash-mesh-behavior.md §9), with whole-word matching: bash's substring
 * patterns took "storage" and "average" for the `rag` check and "https" for `tts`. A word here is a
 * run of letters and digits in any script, so `_`, `-`, `:` and `.` separate words ("http_probe",
 * "agent-b:8900") but letters and digits never do ("storage", "18900"). Pure; never throws.
 */

/** Only this much of a text is looked at (alerts are short; this bounds the work on hostile input). */
export const ALERT_SCAN_CHARS = 8192;

/** Explicit hosts and checks (`--host`, `--check`, message metadata), and every inferred one. */
export const ALERT_KEY_PART_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
export const UNKNOWN = 'unknown';

const BEFORE = '(?<![\\p{L}\\p{N}])';
const AFTER = '(?![\\p{L}\\p{N}])';
const words = (alternatives: string): RegExp => new RegExp(`${BEFORE}(?:${alternatives})${AFTER}`, 'iu');

const HTTP = words('https?');
const PROBE = words('prob(?:e|es|ed|ing)');

/** bash's `http.*probe`: "http" and later "probe" on the same line. Linear in the text. */
function httpProbe(text: string): boolean {
  for (const line of text.split('\n')) {
    const http = HTTP.exec(line);
    if (http !== null && PROBE.test(line.slice(http.index + http[0].length))) return true;
  }
  return false;
}

/** bash's check rules in bash's order: the first rule that matches anywhere in the text wins. */
const CHECK_RULES: readonly { check: string; matches: (text: string) => boolean }[] = [
  { check: 'gateway', matches: (t) => httpProbe(t) || words('gateways?|18789').test(t) },
  { check: 'rag', matches: (t) => words('rag|8900').test(t) },
  { check: 'bluebubbles', matches: (t) => words('bluebubbles|1234|imessage').test(t) },
  { check: 'tts', matches: (t) => words('tts|9800|9802').test(t) },
  { check: 'image_gen', matches: (t) => words('image[\\s_-]?gen(?:eration|erator)?|9801|flux').test(t) },
  { check: 'whisper', matches: (t) => words('whisper|stt|9803').test(t) },
];

/** Every check inference can return. */
export const INFERRED_CHECKS: readonly string[] = [...CHECK_RULES.map((r) => r.check), UNKNOWN];

const scanned = (text: string): string => text.slice(0, ALERT_SCAN_CHARS);

export function inferCheck(text: string): string {
  const t = scanned(text);
  return CHECK_RULES.find((r) => r.matches(t))?.check ?? UNKNOWN;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** A dotted quad that is not part of a longer dotted number ("1.2.3.4.5" is a version, not an address). */
const IPV4_RE = new RegExp(`(?<![\\d.])${OCTET}(?:\\.${OCTET}){3}(?!\\d|\\.\\d)`);

export function firstIpv4(text: string): string | null {
  return IPV4_RE.exec(scanned(text))?.[0] ?? null;
}

/**
 * bash's host rule: the first IPv4 address in the text, as the registry agent at that address when
 * there is one, else the address itself; with no address, `fallback` (bash: "unknown").
 */
export function inferHost(text: string, agentAt: (ip: string) => string | null, fallback: string = UNKNOWN): string {
  const ip = firstIpv4(text);
  if (ip === null) return fallback;
  const agent = agentAt(ip);
  return agent !== null && ALERT_KEY_PART_RE.test(agent) ? agent : ip;
}

/** bash's `resolved|recovered|back.online|back.up|came.back`, as words ("back-up" is a noun, not a recovery). */
const RECOVERY_RE = new RegExp(`${BEFORE}(?:resolved|recovered|back[\\s_-]*online|back[\\s_]+up|came[\\s_-]*back)${AFTER}`, 'giu');
/** "not recovered", "hasn't been resolved", "un-resolved": the words deny the recovery. */
const NEGATION_RE = new RegExp(
  `(?:(?:${BEFORE}(?:not|never|no longer|isn'?t|hasn'?t|haven'?t|wasn'?t|weren'?t|didn'?t|failed to|yet to)` +
  '(?:\\s+(?:yet|been|fully|quite|really|completely))*\\s+)|un-)$', 'iu');

/** Whether the text says the problem is over: a recovery word that is not denied by the words before it. */
export function isRecoveryText(text: string): boolean {
  const t = scanned(text);
  for (const m of t.matchAll(RECOVERY_RE)) {
    const lineStart = t.lastIndexOf('\n', m.index) + 1;
    const before = t.slice(Math.max(lineStart, m.index - 40), m.index);
    if (!NEGATION_RE.test(before)) return true;
  }
  return false;
}

const SUMMARY_MAX_CHARS = 200;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f\u2028\u2029]+/g;

/** The first non-blank line of the text, control characters flattened, at most 200 characters. */
export function alertSummary(text: string): string {
  const line = scanned(text).split('\n').map((l) => l.replace(CONTROL_RE, ' ').trim()).find((l) => l !== '') ?? '';
  return line.length > SUMMARY_MAX_CHARS ? `${line.slice(0, SUMMARY_MAX_CHARS - 1)}…` : line;
}
