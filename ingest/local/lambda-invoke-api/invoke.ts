// Runs one synchronous invocation with the function timeout, and shapes errors as Lambda reports them.
import { CodedError } from "../../../core/errors.js";
import { withTimeout } from "../../../core/timeout.js";
import type { LocalContext } from "./functions.js";

export type SyncOutcome = { ok: true; result: unknown } | { ok: false; error: Error };

export class FunctionTimeoutError extends CodedError {
  constructor(timeoutMs: number) {
    super("FUNCTION_TIMEOUT", `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    // Lambda reports this errorType for a timed-out invocation.
    this.name = "Sandbox.Timedout";
  }
}

/** Runs the handler with a Lambda-like context (request id, remaining time), bounded by the function timeout. */
export async function invokeSync(
  handler: (event: unknown, context: LocalContext) => Promise<unknown>,
  event: unknown,
  timeoutMs: number,
  requestId: string,
): Promise<SyncOutcome> {
  const endsAt = Date.now() + timeoutMs;
  const context: LocalContext = { awsRequestId: requestId, getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()) };
  try {
    const run = Promise.resolve().then(() => handler(event, context));
    return { ok: true, result: await withTimeout(run, timeoutMs, () => new FunctionTimeoutError(timeoutMs)) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** The body Lambda returns with X-Amz-Function-Error: errorType is the error's name, as the Node.js runtime reports it. */
export function invocationError(error: Error): { errorType: string; errorMessage: string; trace: string[] } {
  // Lambda's own timeout message carries no code; our coded errors name theirs first.
  const code = error instanceof FunctionTimeoutError ? undefined : (error as { code?: unknown }).code;
  return {
    errorType: error.name || "Error",
    errorMessage: typeof code === "string" ? `${code}: ${error.message}` : error.message,
    trace: (error.stack ?? "").split("\n"),
  };
}
