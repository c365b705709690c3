/** The Hono environment of the local API app: what @hono/node-server puts in `c.env` (absent under `app.request()`). */
import type { Readable } from 'node:stream';

export interface ApiBindings {
  incoming?: Readable & { socket?: { remoteAddress?: string } };
}
export interface ApiEnv {
  Bindings: ApiBindings;
}
