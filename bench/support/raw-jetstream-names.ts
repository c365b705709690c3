/** Names of the raw JetStream baseline (bench/nats.ts and raw-jetstream-consumer.ts). */
export const RAW_INBOX_STREAM = 'RAW_BENCH_INBOX';
export const RAW_RECEIPT_STREAM = 'RAW_BENCH_RECEIPTS';
export const RAW_INBOX_SUBJECT = 'raw.inbox';
export const RAW_RECEIPT_PREFIX = 'raw.receipt.';
