// POST /v1/payments over HTTP, independent of transport: signature, body limits, ingest, JSON answer.

import { errorBody } from "../../core/errors.js";
import { Deadline } from "./deadline.js";
import { IngestError, RequestRejectedError } from "./errors.js";
import { eventsFromBody, maxBodyBytes } from "./payment-batch.js";
import type { IngestRuntime } from "./runtime.js";
import { verifySignature } from "./signature.js";

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: string;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const jsonHeaders = { "content-type": "application/json", "cache-control": "no-store" };

export function errorResponse(statusCode: number, code: string, message: string, extra: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { ...jsonHeaders, ...extra }, body: errorBody(code, message) };
}

/** Answers one request; Redis work unanswered at the deadline (INGEST_DEADLINE_MS by default) is a 503 with Retry-After. */
export async function handlePaymentsRequest(
  runtime: IngestRuntime,
  request: HttpRequest,
  source = "http",
  deadline: Deadline = Deadline.after(runtime.config.ingestDeadlineMs),
): Promise<HttpResponse> {
  const response = await answer(runtime, request, source, deadline);
  runtime.metrics.response(source, response.statusCode);
  return response;
}

async function answer(runtime: IngestRuntime, request: HttpRequest, source: string, deadline: Deadline): Promise<HttpResponse> {
  if (!request.path.endsWith("/v1/payments")) return errorResponse(404, "NOT_FOUND", `no route for ${request.method} ${request.path}`);
  if (request.method !== "POST") return errorResponse(405, "METHOD_NOT_ALLOWED", "use POST for /v1/payments", { allow: "POST" });
  try {
    const secret = runtime.config.ingestSecret;
    if (secret !== undefined) verifySignature(secret, request.headers["x-signature"], request.rawBody);
    const events = eventsFromBody(request.rawBody, { maxBytes: maxBodyBytes });
    const summary = await deadline.bound(runtime.ingestor.ingest(events, source));
    if (summary.accepted + summary.duplicates > 0) {
      return { statusCode: 200, headers: jsonHeaders, body: JSON.stringify(summary) };
    }
    // Nothing in the request could be counted: answer 4xx so a client that sent one bad event sees it plainly.
    const first = summary.rejected[0]!;
    const allConflicts = summary.rejected.every((r) => r.code === "ID_CONFLICT");
    const statusCode = allConflicts ? 409 : 400;
    const error = {
      code: first.code,
      message: events.length === 1 ? first.message : `no event was counted; first problem at index ${first.index}: ${first.message}`,
    };
    return { statusCode, headers: jsonHeaders, body: JSON.stringify({ ...summary, error }) };
  } catch (err) {
    if (err instanceof RequestRejectedError) return errorResponse(err.statusCode, err.code, err.message);
    if (err instanceof IngestError) return errorResponse(err.statusCode, err.code, err.message, { "retry-after": "1" });
    runtime.logger.error({ err }, "unexpected ingest failure");
    return errorResponse(500, "INTERNAL", "unexpected error; retrying is safe");
  }
}
