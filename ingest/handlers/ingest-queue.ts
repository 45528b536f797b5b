// Lambda handler `ingestQueue`: SQS batches with ReportBatchItemFailures; bad records are dead-lettered, not retried.
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { Deadline } from "../domain/deadline.js";
import { UnsupportedEventError } from "../domain/errors.js";
import { runInvocation } from "../domain/invocation.js";
import { payloadOfMessage } from "../domain/invocation-record.js";
import type { IngestRuntime } from "../domain/runtime.js";
import { ingestRecord, type RecordOutcome } from "../domain/source-record.js";
import { lambdaRuntime, startDuringInit } from "./lambda-runtime.js";
import { unstartedBatch } from "./startup-failure.js";

function assertSqsEvent(event: SQSEvent): void {
  if (!Array.isArray(event?.Records)) throw new UnsupportedEventError("event: must be an SQS event with a Records array");
  event.Records.forEach((r, i) => {
    if (r?.eventSource !== "aws:sqs" || typeof r.messageId !== "string" || typeof r.body !== "string") {
      throw new UnsupportedEventError(`Records[${i}]: must be an SQS message (eventSource "aws:sqs", messageId, body)`);
    }
  });
}

// A message is a payments body, or the invocation record of a failed ingestEvent invocation (its on-failure destination).
const recordOf = (message: SQSRecord) => ({ recordId: message.messageId, body: payloadOfMessage(message.body) });

export function createQueueHandler(getRuntime: () => IngestRuntime | Promise<IngestRuntime>) {
  return async (event: SQSEvent, context?: Partial<Context>): Promise<SQSBatchResponse> => {
    assertSqsEvent(event);
    let runtime: IngestRuntime;
    try {
      runtime = await getRuntime();
    } catch {
      // Not started (a secret not readable yet): every message goes back to the queue, to be counted once it starts.
      const ids = await unstartedBatch(
        "sqs",
        event.Records.map((r) => r.messageId),
        context,
      );
      return { batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) };
    }
    return runInvocation(runtime.metrics, context, async () => {
      // One bound for the whole batch: what Redis has not answered by then is handed back as batch item failures.
      const deadline = Deadline.forInvocation(runtime.config, context);
      const failures = await handleRecords(runtime, event.Records, deadline);
      runtime.metrics.batchItemFailures("sqs", failures.length);
      return { batchItemFailures: failures };
    });
  };
}

async function handleRecords(runtime: IngestRuntime, records: SQSEvent["Records"], deadline: Deadline): Promise<SQSBatchItemFailure[]> {
  const failures: SQSBatchItemFailure[] = [];
  const fifo = records[0]?.eventSourceARN.endsWith(".fifo") ?? false;
  if (fifo) {
    // FIFO: stop at the first failure and hand back it and everything after it, so order is kept.
    for (let i = 0; i < records.length; i++) {
      const outcome = await ingestRecord(runtime, "sqs", recordOf(records[i]!), deadline);
      if (outcome.status === "retry") {
        for (const rest of records.slice(i)) failures.push({ itemIdentifier: rest.messageId });
        break;
      }
    }
    return failures;
  }
  // Standard queues have no order: records are independent and run together (auto-pipelined).
  const outcomes: RecordOutcome[] = await Promise.all(records.map((record) => ingestRecord(runtime, "sqs", recordOf(record), deadline)));
  outcomes.forEach((outcome, i) => {
    if (outcome.status === "retry") failures.push({ itemIdentifier: records[i]!.messageId });
  });
  return failures;
}

const runtime = lambdaRuntime();
await startDuringInit(runtime);

export const handler = createQueueHandler(runtime);
