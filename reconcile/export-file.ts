// Reads the payments export (JSON Lines, the ingest event format) into distinct events, validated like ingest does.
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { type CampaignRules, type PaymentEvent, validateEvent } from "../ingest/domain/payment-event.js";

export interface ExportProblem {
  readonly line: number;
  readonly message: string;
}

export interface PaymentsExport {
  /** Distinct events by paymentId, first occurrence kept. */
  readonly events: Map<string, PaymentEvent>;
  readonly lines: number;
  /** Lines repeating a paymentId with the same amount and type (counted once, as ingest does). */
  readonly repeated: number;
  /** Lines that are not valid events, or repeat a paymentId with a different amount or type. */
  readonly problems: ExportProblem[];
}

/** The signed amount a dedupe mark holds for an event: negative for refunds. */
export function signedAmount(event: PaymentEvent): bigint {
  return event.type === "refund" ? -BigInt(event.amount) : BigInt(event.amount);
}

export async function readPaymentsExport(
  file: string,
  rules: CampaignRules,
  onProgress: (bytesRead: number, totalBytes: number) => void = () => undefined,
): Promise<PaymentsExport> {
  const totalBytes = statSync(file).size;
  const events = new Map<string, PaymentEvent>();
  const problems: ExportProblem[] = [];
  let lines = 0;
  let repeated = 0;
  let bytesRead = 0;
  const input = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const text of input) {
    lines++;
    bytesRead += Buffer.byteLength(text) + 1;
    if (lines % 1000 === 0) onProgress(Math.min(bytesRead, totalBytes), totalBytes);
    if (text.trim() === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      problems.push({ line: lines, message: "not valid JSON" });
      continue;
    }
    const result = validateEvent(raw, rules);
    if (!result.ok) {
      problems.push({ line: lines, message: `${result.rejection.code}: ${result.rejection.message}` });
      continue;
    }
    const before = events.get(result.event.paymentId);
    if (before === undefined) events.set(result.event.paymentId, result.event);
    else if (signedAmount(before) === signedAmount(result.event)) repeated++;
    else problems.push({ line: lines, message: `paymentId ${result.event.paymentId} repeats with a different amount or type` });
  }
  onProgress(totalBytes, totalBytes);
  return { events, lines, repeated, problems };
}
