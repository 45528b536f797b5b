// Lambda handler `ingestHttp`: API Gateway HTTP API (payload v2) and REST API (v1) events for POST /v1/payments.
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import { requireIngestSecret } from "../../core/config.js";
import { Deadline } from "../domain/deadline.js";
import { runInvocation } from "../domain/invocation.js";
import { errorResponse, type HttpRequest, handlePaymentsRequest } from "../domain/payments-request.js";
import { type IngestRuntime, processIngestMetrics } from "../domain/runtime.js";
import { lambdaRuntime, startDuringInit } from "./lambda-runtime.js";
import { loadIngestSecretFromSsm } from "./ssm-secret.js";
import { startupFailure } from "./startup-failure.js";

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

/**
 * A container that could not start answers in the project's error shape, 503 with Retry-After, instead of crashing
 * its init (API Gateway would answer a bare 500). The details (which variable, what SSM said) go to the log only.
 */
export function startupFailureResponse(err: unknown): ApiGatewayResult {
  const { code, message } = startupFailure(err);
  return { ...errorResponse(503, code, message, { "retry-after": "1" }), isBase64Encoded: false };
}

export function createHttpHandler(getRuntime: () => IngestRuntime | Promise<IngestRuntime>) {
  return async (event: ApiGatewayEvent, context?: Partial<Context>): Promise<ApiGatewayResult> => {
    let runtime: IngestRuntime;
    try {
      runtime = await getRuntime();
    } catch (err) {
      // Counted as a 503 answer, like every other one, so the ingestHttp 503 alarm sees a fleet that cannot start.
      const metrics = processIngestMetrics();
      return runInvocation(metrics, context, async () => {
        metrics.response("http", 503);
        return startupFailureResponse(err);
      });
    }
    return runInvocation(runtime.metrics, context, async () => {
      const deadline = Deadline.forInvocation(runtime.config, context);
      const response = await handlePaymentsRequest(runtime, requestFromApiGateway(event), "http", deadline);
      return { ...response, isBase64Encoded: false };
    });
  };
}

// The Redis AUTH token (Secrets Manager) and the signing secret (SSM), then the configuration: INGEST_SECRET is required
// here under STAGE=prod, and in no other function. A failure is answered 503 until a retry succeeds.
const runtime = lambdaRuntime({ loadSecret: loadIngestSecretFromSsm, check: requireIngestSecret });
await startDuringInit(runtime);

export const handler = createHttpHandler(runtime);
