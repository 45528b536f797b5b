// Lambda handler `ingestStream`: Kinesis Data Streams and MSK / self-managed Kafka batches, in order, with partial failures.
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, MSKEvent, MSKRecord, SelfManagedKafkaEvent } from "aws-lambda";
import { UnsupportedEventError } from "../domain/errors.js";
import { runInvocation } from "../domain/invocation.js";
import { type IngestRuntime, ingestRuntime } from "../domain/runtime.js";
import { ingestRecord, type SourceRecord } from "../domain/source-record.js";

export type KafkaEvent = MSKEvent | SelfManagedKafkaEvent;
export type StreamEvent = KinesisStreamEvent | KafkaEvent;

/** Kafka partial batch response: a record is named by its topic-partition and offset. */
export interface KafkaBatchItemFailure {
  readonly itemIdentifier: { readonly partition: string; readonly offset: number };
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
async function processInOrder<Id>(runtime: IngestRuntime, source: string, records: readonly OrderedRecord<Id>[]): Promise<Id[]> {
  for (let i = 0; i < records.length; i++) {
    const outcome = await ingestRecord(runtime, source, records[i]!);
    if (outcome.status === "retry") return records.slice(i).map((r) => r.failureId);
  }
  return [];
}

const decodeBase64 = (data: unknown): string => (typeof data === "string" ? Buffer.from(data, "base64").toString("utf8") : "");

function isKafka(event: StreamEvent): event is KafkaEvent {
  const source = (event as { eventSource?: unknown }).eventSource;
  return source === "aws:kafka" || source === "SelfManagedKafka";
}

async function handleKinesis(runtime: IngestRuntime, event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  const records = event.Records.map((r, i) => {
    if (r?.eventSource !== "aws:kinesis" || typeof r.kinesis?.sequenceNumber !== "string") {
      throw new UnsupportedEventError(`Records[${i}]: must be a Kinesis record (eventSource "aws:kinesis", kinesis.sequenceNumber)`);
    }
    return { recordId: r.kinesis.sequenceNumber, body: decodeBase64(r.kinesis.data), failureId: r.kinesis.sequenceNumber };
  });
  const failed = await processInOrder(runtime, "kinesis", records);
  runtime.metrics.batchItemFailures("kinesis", failed.length);
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}

async function handleKafka(runtime: IngestRuntime, event: KafkaEvent): Promise<KafkaBatchResponse> {
  if (typeof event.records !== "object" || event.records === null) {
    throw new UnsupportedEventError("records: must map each topic-partition to its records");
  }
  // Partitions are independent streams: each runs in offset order, partitions run together.
  const partitions = Object.entries(event.records).map(([topicPartition, list]) => {
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
  const failed = await Promise.all(partitions.map((records) => processInOrder(runtime, "kafka", records)));
  runtime.metrics.batchItemFailures("kafka", failed.flat().length);
  return { batchItemFailures: failed.flat().map((itemIdentifier) => ({ itemIdentifier })) };
}

export function createStreamHandler(getRuntime: () => IngestRuntime) {
  return async (event: StreamEvent, context?: Context): Promise<StreamBatchResponse> => {
    if (typeof event !== "object" || event === null) throw new UnsupportedEventError("event: must be a Kinesis or Kafka event");
    if (isKafka(event)) {
      const runtime = getRuntime();
      return runInvocation(runtime.metrics, context, () => handleKafka(runtime, event));
    }
    if (Array.isArray((event as KinesisStreamEvent).Records)) {
      const runtime = getRuntime();
      return runInvocation(runtime.metrics, context, () => handleKinesis(runtime, event as KinesisStreamEvent));
    }
    throw new UnsupportedEventError(
      'event: must be a Kinesis event (Records) or a Kafka event (eventSource "aws:kafka" or "SelfManagedKafka")',
    );
  };
}

export const handler = createStreamHandler(ingestRuntime);
