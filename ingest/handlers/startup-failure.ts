// How a function answers while its container could not start (a secret not readable yet, a setting missing): as a
// passing failure in each event source's own terms, with the project's error codes, never by crashing its init.
import type { Context } from "aws-lambda";
import { CodedError } from "../../core/errors.js";
import { runInvocation } from "../domain/invocation.js";
import { processIngestMetrics } from "../domain/runtime.js";

const startupMessages: Record<string, string> = {
  CONFIG_INVALID:
    "ingest is misconfigured and counts nothing until that is fixed (the function's log names the setting); retrying later is safe",
  SECRET_UNAVAILABLE: "ingest could not load its secrets yet; retry, repeating the request is safe",
};

/**
 * The code and message a caller sees: the known start-up codes, else STARTUP_FAILED. The details (which variable, what
 * SSM or Secrets Manager said) go to the function's log only.
 */
export function startupFailure(err: unknown): CodedError {
  const code = err instanceof CodedError && err.code in startupMessages ? err.code : "STARTUP_FAILED";
  return new CodedError(code, startupMessages[code] ?? "ingest could not start; retry, repeating the request is safe");
}

/**
 * Every record of the batch handed back (batchItemFailures): nothing was counted, and the event source redelivers
 * them, which is safe (the paymentId dedupes). Counted as BatchItemFailures and RetriedRecords, so the alarms see it.
 */
export function unstartedBatch<Id>(source: string, ids: readonly Id[], context: Partial<Context> | undefined): Promise<Id[]> {
  const metrics = processIngestMetrics();
  return runInvocation(metrics, context, async () => {
    for (const _ of ids) metrics.retried(source);
    metrics.batchItemFailures(source, ids.length);
    return [...ids];
  });
}
