/**
 * Child script: the raw JetStream baseline's receiving side, no MESH code involved.
 *   node bench/support/raw-jetstream-consumer.ts <nats-url>
 * Creates the same kind of resources MESH's NATS transport uses (nats-streams.ts): an inbox stream
 * on file storage with work-queue retention, a receipts stream (one per subject), a durable pull
 * consumer with explicit acks; then consumes as MESH's receiver does (up to 256 in hand, handled
 * concurrently): for each message it publishes a receipt to `raw.receipt.<msg id>` through JetStream,
 * then acks. No verification, no storing: what is left is the bus's own work.
 * Prints {"ready": true} once consuming; runs until SIGTERM.
 */
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { RAW_INBOX_STREAM, RAW_INBOX_SUBJECT, RAW_RECEIPT_PREFIX, RAW_RECEIPT_STREAM } from './raw-jetstream-names.ts';

const url = process.argv[2];
if (url === undefined) throw new Error('usage: raw-jetstream-consumer.ts <nats-url>');
const nc = await connect({ servers: url, name: 'raw-bench-consumer' });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const NS = 1_000_000;
await jsm.streams.add({
  name: RAW_INBOX_STREAM, subjects: [RAW_INBOX_SUBJECT], storage: StorageType.File, retention: RetentionPolicy.Workqueue,
  discard: DiscardPolicy.Old, duplicate_window: 120_000 * NS,
});
await jsm.streams.add({
  name: RAW_RECEIPT_STREAM, subjects: [`${RAW_RECEIPT_PREFIX}*`], storage: StorageType.File, retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old, max_msgs_per_subject: 1, max_age: 3_600_000 * NS, duplicate_window: 120_000 * NS,
});
await jsm.consumers.add(RAW_INBOX_STREAM, {
  durable_name: 'raw', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: RAW_INBOX_SUBJECT,
  ack_wait: 30_000 * NS, max_deliver: -1, max_ack_pending: 10_000,
});
const consumer = await js.consumers.get(RAW_INBOX_STREAM, 'raw');
const messages = await consumer.consume({ max_messages: 256 });
process.once('SIGTERM', () => {
  void messages.close().then(() => nc.drain()).then(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const m of messages) {
  const id = m.headers?.get('Nats-Msg-Id') ?? '';
  void js.publish(`${RAW_RECEIPT_PREFIX}${id}`, '{"ok":true}').then(() => m.ack(), () => m.nak(1_000));
}
