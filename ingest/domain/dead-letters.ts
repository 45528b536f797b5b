// Dead letters of ingest: records or events that can never be counted, stored in Redis (bounded) and counted in metrics.
import type { DeadLetterStore } from "../../core/store/dead-letters.js";
import type { DeadLetter, StoredDeadLetter } from "../../core/store/index.js";
import { ingestDeadLetters } from "./metrics.js";

export type { DeadLetter, StoredDeadLetter };

export class DeadLetters {
  constructor(
    private readonly store: DeadLetterStore,
    private readonly campaign: string,
  ) {}

  /** Stores the letters and counts them; rejects if Redis fails, so the caller can retry the record. */
  async record(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.store.push(this.campaign, letters);
    for (const l of letters) ingestDeadLetters.inc({ source: l.source, code: l.code });
  }

  /** The newest letters first. */
  list(limit = 100): Promise<StoredDeadLetter[]> {
    return this.store.list(this.campaign, limit);
  }
}
