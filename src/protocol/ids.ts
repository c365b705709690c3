/**
 * Identifier formats (bash-mesh-behavior.md §2.3) and their generator. Randomness is injected so
 * tests are deterministic; `systemRandom` is the default.
 */
export type RandomBytes = (n: number) => Uint8Array;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export const MESSAGE_ID_RE = /^msg_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$|^msg_[0-9a-f]{32}$/;
export const CONVERSATION_ID_RE = /^conv_\d+_[0-9a-f]{8}$/;
export const NONCE_RE = /^[0-9a-f]{32}$/;

export interface IdGenerator {
  /** `msg_<uuid v4>`, lowercase. */
  messageId(): string;
  /** 32 lowercase hex characters. */
  nonce(): string;
  /** `conv_<epoch seconds>_<8 hex>`. */
  conversationId(nowMs: number): string;
  /** Lowercase hex of `bytes` random bytes (tokens, keys). */
  hex(bytes: number): string;
}

export function uuidV4(random: RandomBytes): string {
  const b = random(16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function createIdGenerator(random: RandomBytes): IdGenerator {
  return {
    messageId: () => `msg_${uuidV4(random)}`,
    nonce: () => hex(random(16)),
    conversationId: (nowMs) => `conv_${Math.floor(nowMs / 1000)}_${hex(random(4))}`,
    hex: (bytes) => hex(random(bytes)),
  };
}
