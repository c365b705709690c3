/**
 * Schema version 2: attachments that travelled inside an encrypted payload (GCM format 2) are kept
 * decrypted beside the plaintext body, because the stored envelope (the verified wire text) carries
 * `payload.attachments: []`. NULL = the envelope's own `payload.attachments` are the message's.
 */
export const migration0002SealedAttachments = `
ALTER TABLE inbox ADD COLUMN sealed_attachments TEXT;
`;
