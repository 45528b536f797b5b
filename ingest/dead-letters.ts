// Dead-letter list: records or events that can never be counted, kept in Redis (bounded) for operators to list.
import { campaignKeys } from "../core/keys.js";
import type { RedisClient } from "../core/redis.js";
import { ingestDeadLetters } from "./metrics.js";

export const maxDeadLetters = 10_000;
export const maxDeadLetterBodyChars = 2048;

export interface DeadLetter {
  /** "sqs", "kinesis", "kafka", "invoke" ... */
  readonly source: string;
  /** messageId, sequence number, topic-partition@offset, or "<record>#<index>" for one event of a record. */
  readonly recordId: string;
  readonly code: string;
  readonly message: string;
  /** The offending body or event, truncated to maxDeadLetterBodyChars. */
  readonly body: string;
}

export interface StoredDeadLetter extends DeadLetter {
  readonly at: string;
}

export class DeadLetterStore {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    campaign: string,
    shards: number,
  ) {
    this.key = campaignKeys(campaign, shards).deadLetters;
  }

  /** Stores the letters (newest first) and trims the list; rejects if Redis fails, so the caller can retry. */
  async record(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const at = new Date().toISOString();
    const values = letters.map((l) => JSON.stringify({ ...l, body: truncate(l.body), at }));
    const results = await this.redis
      .multi()
      .lpush(this.key, ...values)
      .ltrim(this.key, 0, maxDeadLetters - 1)
      .exec();
    const failed = results?.find(([err]) => err !== null);
    if (results === null || failed) throw failed?.[0] ?? new Error("dead-letter transaction was discarded");
    for (const l of letters) ingestDeadLetters.inc({ source: l.source, code: l.code });
  }

  /** The newest letters first. */
  async list(limit = 100): Promise<StoredDeadLetter[]> {
    const values = await this.redis.lrange(this.key, 0, limit - 1);
    return values.map((v) => JSON.parse(v) as StoredDeadLetter);
  }
}

function truncate(body: string): string {
  return body.length <= maxDeadLetterBodyChars ? body : `${body.slice(0, maxDeadLetterBodyChars)}…(${body.length} chars)`;
}
