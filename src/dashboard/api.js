// The page talks to the documented local API only (docs/api.md), on its own origin. POSTs are JSON
// (the API refuses anything else); errors come back as {ok:false, code, error}.

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

async function answerOf(r) {
  let body;
  try {
    body = await r.json();
  } catch {
    throw new ApiError(r.status, 'unreadable_answer', `HTTP ${r.status}: the answer is not JSON`, null);
  }
  if (!r.ok || body === null || body.ok !== true) {
    throw new ApiError(r.status, body?.code ?? 'error', body?.error ?? `HTTP ${r.status}`, body);
  }
  return body;
}

/** GET path?params (empty and undefined params left out). */
export async function getJson(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  const r = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
  return answerOf(r);
}

export async function postJson(path, body) {
  const r = await fetch(new URL(path, location.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  return answerOf(r);
}

export function errorText(e) {
  if (e instanceof ApiError) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
