/**
 * Renders the exchanges of an McpSession as a Markdown transcript (docs/mcp-transcript.md is one).
 * The rendering is mechanical, so the document shows what the run exchanged: every request and its
 * response in order, as JSON; strings longer than LONG_STRING_CHARS are cut and say how long they
 * were; a tool result's text content is left out when it only repeats its structuredContent.
 */
import type { Exchange } from './mcp-session.ts';

const LONG_STRING_CHARS = 400;

function shorten(v: unknown): unknown {
  if (typeof v === 'string') return v.length > LONG_STRING_CHARS ? `${v.slice(0, LONG_STRING_CHARS)}… (${v.length} chars)` : v;
  if (Array.isArray(v)) return v.map(shorten);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shorten(x)]));
  return v;
}

/** A tool result's text is a summary line plus the structuredContent as JSON: keep the summary only. */
function trimToolText(response: unknown): unknown {
  const r = response as { content?: { type: string; text?: string }[]; structuredContent?: unknown };
  if (!Array.isArray(r?.content) || r.structuredContent === undefined) return response;
  const content = r.content.map((c) => {
    if (c.type !== 'text' || typeof c.text !== 'string') return c;
    const json = c.text.indexOf('\n{');
    return json < 0 ? c : { type: 'text', text: `${c.text.slice(0, json)}\n[the structuredContent below, as JSON text]` };
  });
  return { ...r, content };
}

export interface TranscriptHeader {
  title: string;
  /** Paragraphs said before the exchanges (the set-up, how it was produced). */
  intro: string[];
}

export function renderTranscript(header: TranscriptHeader, exchanges: readonly Exchange[]): string {
  const out = [`# ${header.title}`, '', ...header.intro.flatMap((p) => [p, '']), `${exchanges.length} exchanges.`, ''];
  exchanges.forEach((x, i) => {
    const p = x.request.params as { name?: string } | undefined;
    const what = x.request.method === 'tools/call' && typeof p?.name === 'string' ? `tools/call ${p.name}` : x.request.method;
    out.push(`## ${i + 1}. ${what}`, '', '```json', `→ ${JSON.stringify(shorten(x.request), null, 1)}`, '', `← ${JSON.stringify(shorten(trimToolText(x.response)), null, 1)}`, '```', '');
  });
  return out.join('\n');
}
