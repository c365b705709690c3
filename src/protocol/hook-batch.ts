/**
 * Several hook bodies in one POST, between MESH-TS nodes (feature `batch/1` in GET /health).
 *
 *   POST <hook base>/<sender>/batch        Authorization: Bearer <hook token>
 *   {"items":["<hook body 1>","<hook body 2>", …]}
 *
 * Each item is, byte for byte, the body the sender would have posted to `<hook base>/<sender>` on its
 * own (the `{"message": …}` wrapper holding the signed envelope), and the receiver runs each through
 * the same pipeline as a single POST: every envelope is still verified on its own, against what its
 * sender signed, and a forged or replayed item is refused alone. The answer lists one result per
 * item, in order, each what the single POST would have answered:
 *
 *   200 {"ok":true,"results":[{"status":202,"body":{…}},{"status":429,"body":{…},"retryAfterMs":2000}]}
 *
 * A problem with the batch itself (token, size, shape, rate) is answered as for a single hook POST
 * (4xx/5xx with `{"ok":false,"code","error"}`) and covers every item. Peers that do not advertise the
 * feature (bash nodes, OpenClaw gateways) keep getting one envelope per POST.
 */
export const FEATURE_BATCH = 'batch/1';

/** Most items in one batch. */
export const BATCH_MAX_ITEMS = 64;
/** Largest batch body, whatever the receiver's single-body limit. */
export const BATCH_MAX_BYTES = 1024 * 1024;
/** A sender batches only items up to this size; larger ones go on their own. */
export const BATCH_ITEM_MAX_BYTES = 64 * 1024;
/** Path suffix after `<hook base>/<sender>`. */
export const BATCH_PATH_SUFFIX = '/batch';

export interface BatchItemResult {
  status: number;
  body: unknown;
  retryAfterMs?: number;
}

/** The request body for these hook bodies. */
export function encodeBatch(items: readonly string[]): string {
  return JSON.stringify({ items });
}

/** Bytes of `{"items":[]}` around the items; each item adds its JSON string form and a comma. */
export const BATCH_FRAME_BYTES = 12;

export type BatchParse = { ok: true; items: string[] } | { ok: false; error: string };

/** Reads a batch request body; anything but `{"items":[1..BATCH_MAX_ITEMS strings]}` is refused. Never throws. */
export function parseBatchRequest(text: string): BatchParse {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, error: 'batch body is not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, error: 'batch body must be an object' };
  const keys = Object.keys(v);
  if (keys.length !== 1 || keys[0] !== 'items') return { ok: false, error: 'batch body must have exactly one key, "items"' };
  const items = (v as { items: unknown }).items;
  if (!Array.isArray(items) || items.length === 0 || items.length > BATCH_MAX_ITEMS) {
    return { ok: false, error: `"items" must be an array of 1 to ${BATCH_MAX_ITEMS} hook bodies` };
  }
  if (!items.every((i): i is string => typeof i === 'string')) return { ok: false, error: 'every item must be a string (a hook body)' };
  return { ok: true, items };
}

/**
 * Reads a batch answer for `count` items; null when it is not one (the caller then cannot know what
 * happened to any item and treats them all as not answered). Never throws.
 */
export function parseBatchAnswer(text: string, count: number): BatchItemResult[] | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const results = (v as { results?: unknown }).results;
  if (!Array.isArray(results) || results.length !== count) return null;
  const out: BatchItemResult[] = [];
  for (const r of results) {
    if (typeof r !== 'object' || r === null) return null;
    const { status, body, retryAfterMs } = r as { status?: unknown; body?: unknown; retryAfterMs?: unknown };
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return null;
    const wait = typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : undefined;
    out.push({ status, body: body ?? null, ...(wait === undefined ? {} : { retryAfterMs: wait }) });
  }
  return out;
}
