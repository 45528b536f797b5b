// Lambda's invocation record (what an asynchronous invocation's on-failure destination receives) and its payload.
//
// serverless.yml sends ingestEvent's failed asynchronous invocations to the payments queue, so ingestQueue finds such
// records among its messages and counts the payments they carry (the original event, `requestPayload`). Shape as AWS
// documents it ("Capturing records of Lambda asynchronous invocations", invocation-async-retain-records.html):
// {"version":"1.0","timestamp",...,"requestContext":{"requestId","functionArn","condition","approximateInvokeCount"},
//  "requestPayload":<event>,"responseContext":{"statusCode","executedVersion","functionError"},"responsePayload":...}

export interface InvocationRecord {
  readonly version: "1.0";
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    /** Success, RetriesExhausted or EventAgeExceeded. */
    readonly condition: string;
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext: { readonly statusCode: number; readonly executedVersion: string; readonly functionError?: string };
  readonly responsePayload: unknown;
}

function isInvocationRecord(value: unknown): value is InvocationRecord {
  if (typeof value !== "object" || value === null || !("requestPayload" in value)) return false;
  const context = (value as { requestContext?: unknown }).requestContext;
  return (
    typeof context === "object" &&
    context !== null &&
    typeof (context as { functionArn?: unknown }).functionArn === "string" &&
    typeof (context as { condition?: unknown }).condition === "string"
  );
}

/**
 * The body to count for an SQS message: an invocation record's requestPayload as JSON, any other body as it is. The
 * cheap substring test keeps ordinary payment bodies from being parsed twice.
 */
export function payloadOfMessage(body: string): string {
  if (!body.includes('"requestPayload"') || !body.includes('"requestContext"')) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  return isInvocationRecord(parsed) ? (JSON.stringify(parsed.requestPayload) ?? "") : body;
}
