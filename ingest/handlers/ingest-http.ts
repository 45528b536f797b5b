// Lambda handler `ingestHttp`: API Gateway HTTP API (payload v2) and REST API (v1) events for POST /v1/payments.
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import { parseConfig, requireIngestSecret } from "../../core/config.js";
import { CodedError } from "../../core/errors.js";
import { createLogger } from "../../core/logger.js";
import { Deadline } from "../domain/deadline.js";
import { runInvocation } from "../domain/invocation.js";
import { errorResponse, type HttpRequest, handlePaymentsRequest } from "../domain/payments-request.js";
import { type IngestRuntime, ingestRuntime } from "../domain/runtime.js";
import { coldStart } from "./cold-start.js";
import { loadIngestSecretFromSsm } from "./ssm-secret.js";

export type ApiGatewayEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent;
export type ApiGatewayResult = APIGatewayProxyStructuredResultV2 & APIGatewayProxyResult;

function isV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === "2.0" || "rawPath" in event;
}

/** Normalises an API Gateway v1 or v2 event into the transport-independent request. */
export function requestFromApiGateway(event: ApiGatewayEvent): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value ?? undefined;
  const body = event.body ?? "";
  const rawBody = event.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
  if (isV2(event)) return { method: event.requestContext.http.method, path: event.rawPath, headers, rawBody };
  return { method: event.httpMethod, path: event.path, headers, rawBody };
}

const startupMessages: Record<string, string> = {
  CONFIG_INVALID:
    "ingest is misconfigured and counts nothing until that is fixed (the function's log names the setting); retrying later is safe",
  SECRET_UNAVAILABLE: "ingest could not load its signing secret yet; retry, repeating the request is safe",
};

/**
 * A container that could not start answers in the project's error shape, 503 with Retry-After, instead of crashing
 * its init (API Gateway would answer a bare 500). The details (which variable, what SSM said) go to the log only.
 */
export function startupFailureResponse(err: unknown): ApiGatewayResult {
  const code = err instanceof CodedError && err.code in startupMessages ? err.code : "STARTUP_FAILED";
  const message = startupMessages[code] ?? "ingest could not start; retry, repeating the request is safe";
  return { ...errorResponse(503, code, message, { "retry-after": "1" }), isBase64Encoded: false };
}

export function createHttpHandler(getRuntime: () => IngestRuntime | Promise<IngestRuntime>) {
  return async (event: ApiGatewayEvent, context?: Partial<Context>): Promise<ApiGatewayResult> => {
    let runtime: IngestRuntime;
    try {
      runtime = await getRuntime();
    } catch (err) {
      return startupFailureResponse(err);
    }
    return runInvocation(runtime.metrics, context, async () => {
      const deadline = Deadline.forInvocation(runtime.config, context);
      const response = await handlePaymentsRequest(runtime, requestFromApiGateway(event), "http", deadline);
      return { ...response, isBase64Encoded: false };
    });
  };
}

const levels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const startupLog = createLogger("ingest", levels.includes(process.env.LOG_LEVEL ?? "") ? process.env.LOG_LEVEL : "info");

// The signature secret from SSM (deployed only), then the configuration: INGEST_SECRET is required here under
// STAGE=prod, and in no other function. A failure is logged once per attempt and answered 503 until it succeeds.
const runtime = coldStart(async () => {
  try {
    await loadIngestSecretFromSsm();
    const config = parseConfig(process.env);
    requireIngestSecret(config);
    return ingestRuntime(config);
  } catch (err) {
    startupLog.fatal({ code: (err as CodedError).code }, (err as Error).message);
    throw err;
  }
});
// Top-level await runs in Lambda's init phase, before the first event: a warm container answers at once.
await runtime().catch(() => undefined);

export const handler = createHttpHandler(runtime);
