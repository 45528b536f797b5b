// Lambda handler `ingestHttp`: API Gateway HTTP API (payload v2) and REST API (v1) events for POST /v1/payments.
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import { runInvocation } from "../domain/invocation.js";
import { type HttpRequest, handlePaymentsRequest } from "../domain/payments-request.js";
import { type IngestRuntime, ingestRuntime } from "../domain/runtime.js";
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

export function createHttpHandler(getRuntime: () => IngestRuntime) {
  return async (event: ApiGatewayEvent, context?: Context): Promise<ApiGatewayResult> => {
    const runtime = getRuntime();
    return runInvocation(runtime.metrics, context, async () => {
      const response = await handlePaymentsRequest(runtime, requestFromApiGateway(event));
      return { ...response, isBase64Encoded: false };
    });
  };
}

// Once per cold start, before the first event: the signature secret from SSM when deployed (no-op locally).
await loadIngestSecretFromSsm();

export const handler = createHttpHandler(ingestRuntime);
