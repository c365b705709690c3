/**
 * The local API's error answers: `{"ok":false,"code":"…","error":"…"}` with a stable `code`
 * (clients branch on it, never on the text) and the HTTP status of the table below. Messages are
 * for people and never carry secrets. docs/api.md lists every code.
 */
import { isMeshError, MeshErrorCode } from '../../protocol/errors.ts';

export const ApiCode = {
  /** A query parameter or body field is missing, malformed or out of range. */
  InvalidRequest: 'invalid_request',
  /** The body is not JSON. */
  MalformedJson: 'malformed_json',
  PayloadTooLarge: 'payload_too_large',
  /** A POST without `Content-Type: application/json`. */
  UnsupportedMediaType: 'unsupported_media_type',
  /** A token in the query string (it would end up in logs and browser history). */
  TokenInQuery: 'token_in_query',
  Unauthorized: 'unauthorized',
  /** The Host header names no address of this listener (DNS rebinding). */
  ForbiddenHost: 'forbidden_host',
  /** A browser request from another site (Origin / Sec-Fetch-Site). */
  CrossSite: 'cross_site',
  NotFound: 'not_found',
  MethodNotAllowed: 'method_not_allowed',
  /** The thing exists but its state forbids the operation (a conversation without rounds…). */
  InvalidState: 'invalid_state',
  UnknownAgent: 'unknown_agent',
  /** `POST /api/request`: no correlated response within waitSeconds. */
  Timeout: 'timeout',
  /** `POST /api/request`: the request failed for good (dead-lettered or expired). */
  NotDelivered: 'not_delivered',
  RateLimited: 'rate_limited',
  /** Too many event streams open at once. */
  TooManyStreams: 'too_many_streams',
  StorageFull: 'storage_full',
  /** The daemon is stopping. */
  Unavailable: 'unavailable',
  Internal: 'internal_error',
} as const;
export type ApiCode = (typeof ApiCode)[keyof typeof ApiCode];

export const apiCodeStatus: Readonly<Record<ApiCode, number>> = {
  invalid_request: 400,
  malformed_json: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  token_in_query: 400,
  unauthorized: 401,
  forbidden_host: 403,
  cross_site: 403,
  not_found: 404,
  method_not_allowed: 405,
  invalid_state: 409,
  unknown_agent: 400,
  timeout: 504,
  not_delivered: 502,
  rate_limited: 429,
  too_many_streams: 503,
  storage_full: 507,
  unavailable: 503,
  internal_error: 500,
};

/** Thrown inside route handlers; the app turns it into the JSON answer. */
export class ApiFailure extends Error {
  readonly code: ApiCode;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ApiCode, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': JSON_CONTENT_TYPE, ...headers } });
}

export function failAnswer(code: ApiCode, error: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return jsonAnswer(apiCodeStatus[code], { ok: false, code, error, ...extra }, headers);
}

/** MeshErrors the API passes on as client errors (their messages are secret-free by contract). */
const fromMeshCode: Partial<Record<MeshErrorCode, ApiCode>> = {
  [MeshErrorCode.InvalidArgument]: ApiCode.InvalidRequest,
  [MeshErrorCode.InvalidName]: ApiCode.InvalidRequest,
  [MeshErrorCode.InvalidJson]: ApiCode.InvalidRequest,
  [MeshErrorCode.NotFound]: ApiCode.NotFound,
  [MeshErrorCode.InvalidState]: ApiCode.InvalidState,
  [MeshErrorCode.UnknownAgent]: ApiCode.UnknownAgent,
  [MeshErrorCode.UnknownGroup]: ApiCode.UnknownAgent,
  [MeshErrorCode.KeyMissing]: ApiCode.InvalidState,
  [MeshErrorCode.StoreFull]: ApiCode.StorageFull,
};

/** The API failure an error thrown by a route stands for, or null for an unexpected one (500). */
export function failureOf(e: unknown): ApiFailure | null {
  if (e instanceof ApiFailure) return e;
  if (isMeshError(e)) {
    const code = fromMeshCode[e.code];
    if (code !== undefined) return new ApiFailure(code, e.message);
  }
  return null;
}
