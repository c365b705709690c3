/**
 * Maps a Node socket/HTTP client error to the short codes of TransportResult.networkError.
 * Only the code is kept: error messages can carry URLs, and a URL may hold credentials.
 */
export type NetworkErrorCode = 'timeout' | 'connection_refused' | 'dns' | 'reset' | 'network' | 'invalid_request';

const BY_ERRNO: Readonly<Record<string, NetworkErrorCode>> = {
  ECONNREFUSED: 'connection_refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_NONAME: 'dns',
  EAI_FAIL: 'dns',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  ERR_INVALID_URL: 'invalid_request',
  ERR_INVALID_CHAR: 'invalid_request',
  ERR_INVALID_HTTP_TOKEN: 'invalid_request',
  ERR_UNESCAPED_CHARACTERS: 'invalid_request',
  ERR_INVALID_PROTOCOL: 'invalid_request',
};

export function networkErrorCode(err: unknown): NetworkErrorCode {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return (typeof code === 'string' ? BY_ERRNO[code] : undefined) ?? 'network';
}
