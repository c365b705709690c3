/**
 * Request bodies of the local API: at most `maxBytes` (checked against Content-Length, then while
 * reading), UTF-8, JSON, then a zod schema. Free-form JSON fields (metadata, replyContext) are
 * bounded in depth too, so no body can make the signer or a later reader recurse without end.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { readLimitedStream } from '../../node/node-http.ts';
import { ApiCode, ApiFailure } from './api-errors.ts';
import type { ApiEnv } from './api-env.ts';

/** Deepest nesting accepted in a free-form JSON field. */
export const MAX_JSON_DEPTH = 32;

function depthOf(v: unknown, limit: number): number {
  // Iterative: a hostile document must not overflow our own stack while being measured.
  let max = 0;
  const stack: Array<[unknown, number]> = [[v, 1]];
  while (stack.length > 0) {
    const [x, d] = stack.pop() as [unknown, number];
    if (typeof x !== 'object' || x === null) continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const child of Object.values(x)) stack.push([child, d + 1]);
  }
  return max;
}

/** A free-form JSON object (metadata) no deeper than MAX_JSON_DEPTH. */
export const jsonObjectSchema = z.record(z.string(), z.unknown())
  .refine((v) => depthOf(v, MAX_JSON_DEPTH) <= MAX_JSON_DEPTH, { message: `nested deeper than ${MAX_JSON_DEPTH} levels` });
/** Any JSON value no deeper than MAX_JSON_DEPTH (replyContext may be a string in bash). */
export const jsonValueSchema = z.unknown()
  .refine((v) => v !== undefined && depthOf(v, MAX_JSON_DEPTH) <= MAX_JSON_DEPTH, { message: `nested deeper than ${MAX_JSON_DEPTH} levels` });

/** The first problems zod found, as "field: problem" (never the offending value). */
export function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

export async function readJson<S extends z.ZodType>(c: Context<ApiEnv>, schema: S, maxBytes: number): Promise<z.output<S>> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) {
    throw new ApiFailure(ApiCode.PayloadTooLarge, `the body exceeds ${maxBytes} bytes`);
  }
  const read = await readLimitedStream(c.req.raw.body, maxBytes);
  if (!read.ok) {
    if (read.reason === 'too_large') throw new ApiFailure(ApiCode.PayloadTooLarge, `the body exceeds ${maxBytes} bytes`);
    throw new ApiFailure(ApiCode.MalformedJson, read.reason === 'invalid_utf8' ? 'the body is not valid UTF-8' : 'the body was cut short');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(read.text);
  } catch {
    throw new ApiFailure(ApiCode.MalformedJson, 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(doc);
  if (!parsed.success) throw new ApiFailure(ApiCode.InvalidRequest, describeIssues(parsed.error));
  return parsed.data;
}
