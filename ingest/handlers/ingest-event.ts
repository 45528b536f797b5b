// Lambda handler `ingestEvent`: payments invoked directly (InvocationType Event or RequestResponse), payload = the body.
import { CodedError } from "../../core/errors.js";
import { Deadline, type InvocationClock } from "../domain/deadline.js";
import { runInvocation } from "../domain/invocation.js";
import type { IngestRuntime } from "../domain/runtime.js";
import { ingestRecord } from "../domain/source-record.js";
import { lambdaRuntime, startDuringInit } from "./lambda-runtime.js";
import { startupFailure } from "./startup-failure.js";

/**
 * Thrown on a passing failure (Redis unreachable, slow or refusing). Lambda retries an asynchronous invocation only when
 * the function returns an error ("How Lambda handles errors and retries with asynchronous invocation"): a result such
 * as a 503 body would count as a success and the payments would be lost. After the retries the invocation record,
 * payload included, goes to the on-failure destination (serverless.yml: the payments queue, whose consumer counts it).
 */
export class CountLaterError extends CodedError {
  constructor(reason: string) {
    super("COUNTER_UNAVAILABLE", `${reason}; nothing is lost: the invocation is retried and counting it again is safe`);
  }
}

export interface DirectInvocationContext extends InvocationClock {
  /** The same for every retry of one asynchronous invocation: it names the dead letters of its bad events. */
  readonly awsRequestId: string;
}

export interface EventResult {
  readonly accepted: number;
  readonly duplicates: number;
  /** Events that can never count (bad JSON, schema, currency): in the dead-letter list, not retried. */
  readonly rejected: ReadonlyArray<{ readonly recordId: string; readonly code: string; readonly message: string }>;
}

export function createEventHandler(getRuntime: () => IngestRuntime | Promise<IngestRuntime>) {
  return async (event: unknown, context?: Partial<DirectInvocationContext>): Promise<EventResult> => {
    let runtime: IngestRuntime;
    try {
      runtime = await getRuntime();
    } catch (err) {
      // Not started (a secret not readable yet): an error, which Lambda retries like any passing failure.
      throw startupFailure(err);
    }
    // In the invocation's scope, like the other functions: its log lines carry the request id, and its metrics
    // (source "event") are written when it ends, also when it throws.
    return runInvocation(runtime.metrics, context, async () => {
      const deadline = Deadline.forInvocation(runtime.config, context);
      // The payload is what POST /v1/payments takes: one event, an array, or {"events": [...]}.
      const body = JSON.stringify(event) ?? "";
      const outcome = await ingestRecord(runtime, "event", { recordId: context?.awsRequestId ?? "direct", body }, deadline);
      if (outcome.status === "retry") throw new CountLaterError(outcome.reason);
      return { accepted: outcome.accepted, duplicates: outcome.duplicates, rejected: outcome.rejected };
    });
  };
}

const runtime = lambdaRuntime();
await startDuringInit(runtime);

export const handler = createEventHandler(runtime);
