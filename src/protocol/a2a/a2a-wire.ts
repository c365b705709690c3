/**
 * A2A 1.0 on the wire (JSON-RPC binding; the proto's JSON form: camelCase fields, SCREAMING_SNAKE_CASE
 * enums, `oneof`s as the present key). Only what MESH speaks: text and data parts, tasks with one
 * artifact, status and artifact update events. Pure types and constants.
 */
import type { A2ATaskState } from '../../ports/a2a-tasks.ts';
import type { JsonValue } from '../json.ts';

export const A2A_PROTOCOL_VERSION = '1.0';
export const A2A_JSONRPC_PATH = '/a2a/v1';
export const A2A_CARD_PATH = '/.well-known/agent-card.json';
export const A2A_BINDING_JSONRPC = 'JSONRPC';

/** JSON-RPC 2.0 and A2A error codes (A2A 1.0 §5.4 / a2a-js constants). */
export const A2AErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  TaskNotFound: -32001,
  TaskNotCancelable: -32002,
  PushNotificationNotSupported: -32003,
  UnsupportedOperation: -32004,
  ContentTypeNotSupported: -32005,
} as const;
export type A2AErrorCode = (typeof A2AErrorCode)[keyof typeof A2AErrorCode];

export type A2APart = { text: string; mediaType?: string; metadata?: JsonValue } | { data: JsonValue; mediaType?: string; metadata?: JsonValue };

export interface A2AMessage {
  messageId: string;
  role: 'ROLE_USER' | 'ROLE_AGENT';
  parts: A2APart[];
  contextId?: string;
  taskId?: string;
  metadata?: JsonValue;
  referenceTaskIds?: string[];
}

export interface A2AArtifact {
  artifactId: string;
  name?: string;
  parts: A2APart[];
}

export interface A2ATaskStatus {
  state: A2ATaskState;
  message?: A2AMessage;
  /** ISO 8601. */
  timestamp: string;
}

export interface A2ATask {
  id: string;
  contextId: string;
  status: A2ATaskStatus;
  artifacts?: A2AArtifact[];
  history?: A2AMessage[];
  metadata?: JsonValue;
}

export type A2AStreamResponse =
  | { task: A2ATask }
  | { statusUpdate: { taskId: string; contextId: string; status: A2ATaskStatus } }
  | { artifactUpdate: { taskId: string; contextId: string; artifact: A2AArtifact; append?: boolean; lastChunk?: boolean } };

export type JsonRpcId = string | number | null;

/** A refusal that becomes a JSON-RPC error object; its message is secret-free and never quotes input. */
export class A2ARpcError extends Error {
  readonly code: A2AErrorCode;
  constructor(code: A2AErrorCode, message: string) {
    super(message);
    this.name = 'A2ARpcError';
    this.code = code;
  }
}
