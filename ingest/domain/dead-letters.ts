// Dead letters of ingest: records or events that can never be counted, stored in Redis (bounded) and counted in metrics.
import type { DeadLetterStore } from "../../core/store/dead-letters.js";
import type { DeadLetter, StoredDeadLetter } from "../../core/store/index.js";
import type { IngestMetrics } from "./metrics.js";

export type { DeadLetter, StoredDeadLetter };

export class DeadLetters {
  constructor(
    private readonly store: DeadLetterStore,
    private readonly campaign: string,
    private readonly metrics: IngestMetrics,
  ) {}

  /** Stores the letters and counts them; rejects if Redis fails, so the caller can retry the record. */
  async record(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    try {
      await this.store.push(this.campaign, letters);
    } catch (err) {
      this.metrics.redisError(letters[0]!.source);
      throw err;
    }
    for (const [key, n] of countBy(letters)) {
      const [source, code] = JSON.parse(key) as [string, string];
      this.metrics.deadLettered(source, code, n);
    }
  }

  /** The newest letters first. */
  list(limit = 100): Promise<StoredDeadLetter[]> {
    return this.store.list(this.campaign, limit);
  }
}

function countBy(letters: readonly DeadLetter[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of letters) {
    const key = JSON.stringify([l.source, l.code]);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
