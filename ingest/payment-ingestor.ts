// Validates a batch of raw events, counts the valid ones exactly once, and reports each bad one by index.
import type { Logger } from "../core/logger.js";
import type { CounterWriter } from "./counter-writer.js";
import { CounterUnavailableError, RequestRejectedError } from "./errors.js";
import { ingestEvents, ingestWriteSeconds } from "./metrics.js";
import { type CampaignRules, type PaymentEvent, type Rejection, validateEvent } from "./payment-event.js";

export const maxEventsPerRequest = 1000;
export const maxBodyBytes = 1024 * 1024;

export interface ItemRejection extends Rejection {
  readonly index: number;
}

export interface IngestSummary {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: ItemRejection[];
}

/** Turns a request body (one event, an array, or {"events": [...]}) into raw events, or throws a 4xx. */
export function eventsFromBody(rawBody: string): unknown[] {
  if (Buffer.byteLength(rawBody) > maxBodyBytes) {
    throw new RequestRejectedError("PAYLOAD_TOO_LARGE", `body: must be at most ${maxBodyBytes} bytes`, 413);
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

export class PaymentIngestor {
  constructor(
    private readonly writer: CounterWriter,
    private readonly rules: CampaignRules,
    private readonly logger: Logger,
  ) {}

  /** Validates and counts; throws CounterUnavailableError when Redis fails (retrying is safe). */
  async ingest(rawEvents: readonly unknown[], source: string): Promise<IngestSummary> {
    const valid: PaymentEvent[] = [];
    const validIndexes: number[] = [];
    const rejected: ItemRejection[] = [];
    rawEvents.forEach((raw, index) => {
      const result = validateEvent(raw, this.rules);
      if (result.ok) {
        valid.push(result.event);
        validIndexes.push(index);
      } else rejected.push({ index, ...result.rejection });
    });

    let accepted = 0;
    let duplicates = 0;
    if (valid.length > 0) {
      const stopTimer = ingestWriteSeconds.startTimer();
      let outcomes: Awaited<ReturnType<CounterWriter["write"]>>;
      try {
        outcomes = await this.writer.write(valid);
      } catch (err) {
        this.logger.warn({ err, source, events: valid.length }, "counter write failed");
        throw new CounterUnavailableError(err);
      } finally {
        stopTimer();
      }
      outcomes.forEach((outcome, i) => {
        if (outcome === "counted") accepted++;
        else if (outcome === "duplicate") duplicates++;
        else {
          const event = valid[i]!;
          rejected.push({
            index: validIndexes[i]!,
            code: "ID_CONFLICT",
            message: `paymentId: "${event.paymentId}" was already counted with a different amount or type; not counted again`,
          });
        }
      });
      rejected.sort((a, b) => a.index - b.index);
    }
    const invalid = rejected.filter((r) => r.code !== "ID_CONFLICT").length;
    if (invalid > 0) {
      await this.writer
        .recordRejected(this.rules.campaign, invalid)
        .catch((err: unknown) => this.logger.warn({ err }, "could not record rejections"));
      this.logger.info({ source, rejected: rejected.slice(0, 5), total: rejected.length }, "events rejected");
    }
    ingestEvents.inc({ source, outcome: "counted" }, accepted);
    ingestEvents.inc({ source, outcome: "duplicate" }, duplicates);
    ingestEvents.inc({ source, outcome: "rejected" }, rejected.length);
    return { accepted, duplicates, rejected };
  }
}
