// Lambda handler `ingestStream`: Kinesis Data Streams and MSK / self-managed Kafka batches, in order, with partial failures.
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, MSKEvent, MSKRecord, SelfManagedKafkaEvent } from "aws-lambda";
import { Deadline } from "../domain/deadline.js";
import { UnsupportedEventError } from "../domain/errors.js";
import { runInvocation } from "../domain/invocation.js";
import type { IngestRuntime } from "../domain/runtime.js";
import { ingestRecord, type SourceRecord } from "../domain/source-record.js";
import { lambdaRuntime, startDuringInit } from "./lambda-runtime.js";
import { unstartedBatch } from "./startup-failure.js";

export type KafkaEvent = MSKEvent | SelfManagedKafkaEvent;
export type StreamEvent = KinesisStreamEvent | KafkaEvent;

/**
 * Kafka partial batch response (MSK and self-managed Kafka): a record is named by the key of its list in the event's
 * `records` ("<topic>-<partition>") and its offset. AWS Lambda Developer Guide, "Configuring error handling controls
 * for Kafka event sources" (PartialBatchResponse):
 *   {"batchItemFailures": [{"itemIdentifier": {"partition": "topic-partition_number", "offset": 100}}]}
 * An identifier naming no record of the invoked event makes Lambda retry the whole batch. An earlier revision of that
 * page printed the key as "topic-partition" (the placeholder of its value); the current page, its Python, Node.js and
 * Java examples, Powertools for AWS Lambda (Python) and aws-lambda-rust-runtime all use "partition".
 */
export interface KafkaItemIdentifier {
  readonly partition: string;
  readonly offset: number;
}
export interface KafkaBatchItemFailure {
  readonly itemIdentifier: KafkaItemIdentifier;
}
export interface KafkaBatchResponse {
  batchItemFailures: KafkaBatchItemFailure[];
}
export type StreamBatchResponse = KinesisStreamBatchResponse | KafkaBatchResponse;

interface OrderedRecord<Id> extends SourceRecord {
  readonly failureId: Id;
}

/**
 * Processes records strictly in order. At the first passing failure it stops and reports that record and every
 * later one: Lambda checkpoints before the lowest reported record and redelivers from there, so nothing after it
 * is lost and order is kept; records already counted are deduplicated on redelivery.
 */
async function processInOrder<Id>(
  runtime: IngestRuntime,
  source: string,
  records: readonly OrderedRecord<Id>[],
  deadline: Deadline,
): Promise<Id[]> {
  for (let i = 0; i < records.length; i++) {
    const outcome = await ingestRecord(runtime, source, records[i]!, deadline);
    if (outcome.status === "retry") return records.slice(i).map((r) => r.failureId);
  }
  return [];
}

const decodeBase64 = (data: unknown): string => (typeof data === "string" ? Buffer.from(data, "base64").toString("utf8") : "");

function isKafka(event: StreamEvent): event is KafkaEvent {
  const source = (event as { eventSource?: unknown }).eventSource;
  return source === "aws:kafka" || source === "SelfManagedKafka";
}

/** The Kinesis records in order, each with its batch item identifier (its sequence number). */
function kinesisRecords(event: KinesisStreamEvent): OrderedRecord<string>[] {
  return event.Records.map((r, i) => {
    if (r?.eventSource !== "aws:kinesis" || typeof r.kinesis?.sequenceNumber !== "string") {
      throw new UnsupportedEventError(`Records[${i}]: must be a Kinesis record (eventSource "aws:kinesis", kinesis.sequenceNumber)`);
    }
    return { recordId: r.kinesis.sequenceNumber, body: decodeBase64(r.kinesis.data), failureId: r.kinesis.sequenceNumber };
  });
}

/** The Kafka records of each topic-partition in offset order, each with its batch item identifier. */
function kafkaPartitions(event: KafkaEvent): OrderedRecord<KafkaItemIdentifier>[][] {
  if (typeof event.records !== "object" || event.records === null) {
    throw new UnsupportedEventError("records: must map each topic-partition to its records");
  }
  return Object.entries(event.records).map(([topicPartition, list]) => {
    if (!Array.isArray(list)) throw new UnsupportedEventError(`records["${topicPartition}"]: must be an array of Kafka records`);
    const sorted = [...(list as MSKRecord[])].sort((a, b) => a.offset - b.offset);
    return sorted.map((r) => {
      if (typeof r?.offset !== "number")
        throw new UnsupportedEventError(`records["${topicPartition}"]: every record needs a numeric offset`);
      return {
        recordId: `${topicPartition}@${r.offset}`,
        body: decodeBase64(r.value),
        failureId: { partition: topicPartition, offset: r.offset },
      };
    });
  });
}

/** A batch read from the event, before any Redis work: its source and its records, partition by partition. */
type StreamBatch =
  | { readonly source: "kinesis"; readonly partitions: OrderedRecord<string>[][] }
  | { readonly source: "kafka"; readonly partitions: OrderedRecord<KafkaItemIdentifier>[][] };

function batchOf(event: StreamEvent): StreamBatch {
  if (typeof event !== "object" || event === null) throw new UnsupportedEventError("event: must be a Kinesis or Kafka event");
  if (isKafka(event)) return { source: "kafka", partitions: kafkaPartitions(event) };
  // A Kinesis batch comes from one shard: one ordered list.
  if (Array.isArray((event as KinesisStreamEvent).Records))
    return { source: "kinesis", partitions: [kinesisRecords(event as KinesisStreamEvent)] };
  throw new UnsupportedEventError(
    'event: must be a Kinesis event (Records) or a Kafka event (eventSource "aws:kafka" or "SelfManagedKafka")',
  );
}

/** Partitions are independent streams: each runs in order (stopping at its first passing failure), partitions run together. */
async function failedIds<Id>(runtime: IngestRuntime, source: string, partitions: OrderedRecord<Id>[][], deadline: Deadline): Promise<Id[]> {
  const failed = await Promise.all(partitions.map((records) => processInOrder(runtime, source, records, deadline)));
  runtime.metrics.batchItemFailures(source, failed.flat().length);
  return failed.flat();
}

export function createStreamHandler(getRuntime: () => IngestRuntime | Promise<IngestRuntime>) {
  return async (event: StreamEvent, context?: Partial<Context>): Promise<StreamBatchResponse> => {
    const batch = batchOf(event);
    const answer = <Id>(ids: Id[]) => ({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) });
    let runtime: IngestRuntime;
    try {
      runtime = await getRuntime();
    } catch {
      // Not started (a secret not readable yet): every record is reported, so Lambda redelivers the batch from its first.
      const all = batch.partitions.flat().map((r) => r.failureId);
      return answer(await unstartedBatch(batch.source, all, context)) as StreamBatchResponse;
    }
    // One bound for the whole batch: the record Redis has not answered by then, and every later one, are reported.
    return runInvocation(runtime.metrics, context, async () => {
      const deadline = Deadline.forInvocation(runtime.config, context);
      if (batch.source === "kafka") return answer(await failedIds(runtime, "kafka", batch.partitions, deadline));
      return answer(await failedIds(runtime, "kinesis", batch.partitions, deadline));
    });
  };
}

const runtime = lambdaRuntime();
await startDuringInit(runtime);

export const handler = createStreamHandler(runtime);
