/** Bounds of what an MCP client may ask of the tools (hostile input is the normal case). */
import { z } from 'zod';

/** Characters of a message body a tool accepts (a peer's receiver takes 256 KiB by default). */
export const MAX_TOOL_BODY_CHARS = 100_000;
export const MAX_WAIT_SECONDS = 300;
export const DEFAULT_WAIT_SECONDS = 30;
export const MAX_INBOX_PAGE = 50;
export const DEFAULT_INBOX_PAGE = 10;
export const MAX_ACK_IDS = 100;

export const agentName = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'an agent name (letters, digits, . _ -)');
export const messageId = z.string().min(1).max(200).regex(/^[A-Za-z0-9_.:-]+$/, 'a message id (msg_…)');
export const conversationId = z.string().regex(/^conv_\d{1,12}_[0-9a-f]{8}$/, 'a conversation id (conv_<epoch seconds>_<8 hex>)');
export const body = z.string().min(1).max(MAX_TOOL_BODY_CHARS);
export const subject = z.string().max(200).optional();
export const waitSeconds = z.number().min(1).max(MAX_WAIT_SECONDS);
