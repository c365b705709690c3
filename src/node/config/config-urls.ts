/**
 * The URL rule every config section applies to URLs it stores or prints: parseable, of an allowed
 * scheme, and carrying no user, password, query or fragment (credentials and tokens live in files,
 * never in a URL that ends up in logs, status output or cursor keys).
 */

/** The URL if `text` is one of `protocols` (e.g. `'https:'`) without credentials, query or fragment; else null. */
export function plainUrl(text: string, protocols: readonly string[]): URL | null {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return null;
  }
  const plain = protocols.includes(u.protocol) && u.username === '' && u.password === '' && u.search === '' && u.hash === '';
  return plain ? u : null;
}

/** An http(s) URL without credentials, query or fragment (they would end up in the cursor key and in output). */
export function isPlainHttpUrl(text: string): boolean {
  return plainUrl(text, ['http:', 'https:']) !== null;
}

/** A NATS server URL MESH accepts: nats:// or tls://, a host, an optional port, nothing else. */
export function isNatsServerUrl(text: string): boolean {
  const u = plainUrl(text, ['nats:', 'tls:']);
  return u !== null && u.hostname !== '' && (u.pathname === '' || u.pathname === '/');
}
