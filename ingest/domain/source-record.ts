// One record of an event-source batch (SQS message, Kinesis record, Kafka record): parse, count, dead-letter or retry.

import type { DeadLetter } from "./dead-letters.js";
import { Deadline } from "./deadline.js";
import { CounterUnavailableError, IngestError, RequestRejectedError } from "./errors.js";
import { eventsFromBody } from "./payment-batch.js";
import type { IngestRuntime } from "./runtime.js";

export interface SourceRecord {
  /** What the event source calls the record (messageId, sequence number, topic-partition@offset). */
  readonly recordId: string;
  /** The decoded payload: one event, an array of events, or {"events": [...]}. */
  readonly body: string;
}

/**
 * done: every event was counted, was a duplicate, or was dead-lettered (retrying would not change it).
 * retry: a passing failure (Redis unreachable, timeout); redelivering the whole record is safe (dedupe).
 */
export type RecordOutcome =
  | {
      readonly status: "done";
      readonly accepted: number;
      readonly duplicates: number;
      readonly deadLettered: number;
      /** What was dead-lettered and why, by the id it has in the dead-letter list. */
      readonly rejected: ReadonlyArray<{ readonly recordId: string; readonly code: string; readonly message: string }>;
    }
  | { readonly status: "retry"; readonly reason: string };

/**
 * Counts one record's events exactly once; bad events go to the dead-letter list and are not retried. Redis work
 * still unanswered at the deadline (INGEST_DEADLINE_MS by default) makes the record a retry.
 */
export async function ingestRecord(
  runtime: IngestRuntime,
  source: string,
  record: SourceRecord,
  deadline: Deadline = Deadline.after(runtime.config.ingestDeadlineMs),
): Promise<RecordOutcome> {
  try {
    // Past the deadline (a slow batch, an earlier record that waited for Redis) nothing more is started.
    if (deadline.expired()) throw new CounterUnavailableError(new Error("the ingest deadline passed before this record"));
    return await deadline.bound(countRecord(runtime, source, record));
  } catch (err) {
    const reason = err instanceof IngestError ? err.message : `counter store unavailable: ${(err as Error).message}`;
    runtime.logger.warn({ err, source, recordId: record.recordId }, "record will be retried");
    runtime.metrics.retried(source);
    return { status: "retry", reason };
  }
}

async function countRecord(runtime: IngestRuntime, source: string, record: SourceRecord): Promise<RecordOutcome> {
  const letters: DeadLetter[] = [];
  let accepted = 0;
  let duplicates = 0;
  const events = parseRecord(record, source, letters);
  if (events !== undefined) {
    const summary = await runtime.ingestor.ingest(events, source);
    accepted = summary.accepted;
    duplicates = summary.duplicates;
    for (const r of summary.rejected) {
      letters.push({
        source,
        recordId: events.length === 1 ? record.recordId : `${record.recordId}#${r.index}`,
        code: r.code,
        message: r.message,
        body: safeStringify(events[r.index]),
      });
    }
  }
  // Written before the record is acknowledged: if this fails, the record is retried and nothing is lost.
  await runtime.deadLetters.record(letters);
  if (letters.length > 0) runtime.logger.warn({ source, recordId: record.recordId, letters: letters.length }, "dead-lettered");
  const rejected = letters.map(({ recordId, code, message }) => ({ recordId, code, message }));
  return { status: "done", accepted, duplicates, deadLettered: letters.length, rejected };
}

/** Parses the body into raw events, or adds one dead letter for the whole record and returns undefined. */
function parseRecord(record: SourceRecord, source: string, letters: DeadLetter[]): unknown[] | undefined {
  try {
    return eventsFromBody(record.body);
  } catch (err) {
    if (!(err instanceof RequestRejectedError)) throw err;
    letters.push({ source, recordId: record.recordId, code: err.code, message: err.message, body: record.body });
    return undefined;
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
