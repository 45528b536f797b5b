// Turns a body (one event, an array, or {"events": [...]}) into raw events, or throws a 4xx RequestRejectedError.
// One parser for every path: HTTP requests and the records of SQS, Kinesis and Kafka batches.
import { RequestRejectedError } from "./errors.js";

export const maxEventsPerRequest = 1000;
export const maxBodyBytes = 1024 * 1024;

export interface BatchLimits {
  /** Reject bodies larger than this (HTTP: 1 MiB); records are bounded by their event source. */
  readonly maxBytes?: number;
}

export function eventsFromBody(rawBody: string, limits: BatchLimits = {}): unknown[] {
  if (limits.maxBytes !== undefined && Buffer.byteLength(rawBody) > limits.maxBytes) {
    throw new RequestRejectedError("PAYLOAD_TOO_LARGE", `body: must be at most ${limits.maxBytes} bytes`, 413);
  }
  if (rawBody.trim() === "")
    throw new RequestRejectedError("EMPTY_BODY", 'body: must be a JSON event, an array of events or {"events": [...]}', 400);
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch (err) {
    throw new RequestRejectedError("INVALID_JSON", `body: is not valid JSON (${(err as Error).message})`, 400);
  }
  return eventsFromValue(parsed);
}

/** The same for an already parsed value. */
export function eventsFromValue(parsed: unknown): unknown[] {
  let events: unknown[];
  if (Array.isArray(parsed)) events = parsed;
  else if (typeof parsed === "object" && parsed !== null && "events" in parsed) {
    const inner = (parsed as { events: unknown }).events;
    if (!Array.isArray(inner)) throw new RequestRejectedError("INVALID_BATCH", "events: must be an array of events", 400);
    events = inner;
  } else if (typeof parsed === "object" && parsed !== null) events = [parsed];
  else throw new RequestRejectedError("INVALID_BATCH", 'body: must be a JSON event, an array of events or {"events": [...]}', 400);
  if (events.length === 0) throw new RequestRejectedError("EMPTY_BATCH", "events: must contain at least one event", 400);
  if (events.length > maxEventsPerRequest) {
    throw new RequestRejectedError("TOO_MANY_EVENTS", `events: at most ${maxEventsPerRequest} per request, got ${events.length}`, 413);
  }
  return events;
}
