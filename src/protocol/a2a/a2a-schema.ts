/**
 * Validation of A2A 1.0 JSON-RPC requests from clients (hostile input): the envelope, the methods
 * MESH serves and their params, with limits on every string and array. Unknown fields are ignored as
 * proto JSON requires, but never stored: what is kept is rebuilt from the validated fields.
 */
import { z } from 'zod';
import { A2A_TASK_STATES } from '../../ports/a2a-tasks.ts';

/** Largest text of one message (all parts), like OpenClaw's a2a channel (64 KiB). */
export const DEFAULT_A2A_MAX_TEXT_BYTES = 64 * 1024;
export const A2A_MAX_PARTS = 32;
export const A2A_MAX_PAGE_SIZE = 100;
export const A2A_DEFAULT_PAGE_SIZE = 50;

/** Ids clients choose (messageId, contextId): printable, bounded, no control characters. */
const clientId = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:@-]+$/, 'letters, digits and . _ : @ - only');
/** Ids we chose (task ids), checked before any lookup. */
const taskId = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/);
const metadata = z.record(z.string().max(128), z.unknown()).optional();

const part = z.union([
  z.object({ text: z.string(), mediaType: z.string().max(128).optional(), metadata }),
  z.object({ data: z.unknown().refine((v) => v !== undefined, 'data is required'), mediaType: z.string().max(128).optional(), metadata }),
  z.object({ raw: z.string() }).transform(() => ({ unsupported: 'raw' as const })),
  z.object({ url: z.string() }).transform(() => ({ unsupported: 'url' as const })),
]);

export const a2aMessageSchema = z.object({
  messageId: clientId,
  role: z.enum(['ROLE_USER', 'ROLE_AGENT']).optional(),
  parts: z.array(part).min(1).max(A2A_MAX_PARTS),
  contextId: clientId.optional(),
  taskId: taskId.optional(),
  metadata,
  referenceTaskIds: z.array(taskId).max(16).optional(),
  extensions: z.array(z.string().max(256)).max(16).optional(),
});

export const sendMessageParamsSchema = z.object({
  tenant: z.string().max(128).optional(),
  message: a2aMessageSchema,
  configuration: z.object({
    acceptedOutputModes: z.array(z.string().max(128)).max(16).optional(),
    historyLength: z.number().int().min(0).max(1000).optional(),
    returnImmediately: z.boolean().optional(),
  }).optional(),
  metadata,
});

export const getTaskParamsSchema = z.object({
  tenant: z.string().max(128).optional(),
  id: taskId,
  historyLength: z.number().int().min(0).max(1000).optional(),
});

export const cancelTaskParamsSchema = z.object({ tenant: z.string().max(128).optional(), id: taskId, metadata });
export const subscribeParamsSchema = z.object({ tenant: z.string().max(128).optional(), id: taskId });

export const listTasksParamsSchema = z.object({
  tenant: z.string().max(128).optional(),
  contextId: clientId.optional(),
  status: z.enum([...A2A_TASK_STATES, 'TASK_STATE_UNSPECIFIED']).optional(),
  pageSize: z.number().int().min(1).max(A2A_MAX_PAGE_SIZE).optional(),
  pageToken: z.string().max(256).optional(),
  historyLength: z.number().int().min(0).max(1000).optional(),
  includeArtifacts: z.boolean().optional(),
});

export const jsonRpcRequestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string().max(128), z.number().int(), z.null()]).optional(),
  method: z.string().min(1).max(64),
  params: z.unknown().optional(),
});

export type SendMessageParams = z.infer<typeof sendMessageParamsSchema>;
export type ListTasksParams = z.infer<typeof listTasksParamsSchema>;
export type ValidatedA2AMessage = z.infer<typeof a2aMessageSchema>;

/** The first problem of a failed validation, without echoing the input. */
export function schemaProblem(e: z.ZodError): string {
  const issue = e.issues[0];
  if (issue === undefined) return 'invalid params';
  const path = issue.path.length === 0 ? 'params' : issue.path.join('.');
  return `${path}: ${issue.message}`.slice(0, 200);
}
