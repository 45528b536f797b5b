// The dead-letter list of a campaign: records or events that can never be counted, newest first, bounded.
import type { RedisClient } from "../redis.js";
import { campaignKeys } from "./keys.js";

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

function truncate(body: string): string {
  return body.length <= maxDeadLetterBodyChars ? body : `${body.slice(0, maxDeadLetterBodyChars)}…(${body.length} chars)`;
}

export class DeadLetterStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly shards: number,
  ) {}

  /** Stores the letters (newest first) and trims the list, in one transaction; rejects if Redis fails, so the caller can retry. */
  async push(campaign: string, letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const key = campaignKeys(campaign, this.shards).deadLetters;
    const at = new Date().toISOString();
    const values = letters.map((l) => JSON.stringify({ ...l, body: truncate(l.body), at }));
    const results = await this.redis
      .multi()
      .lpush(key, ...values)
      .ltrim(key, 0, maxDeadLetters - 1)
      .exec();
    const failed = results?.find(([err]) => err !== null);
    if (results === null || failed) throw failed?.[0] ?? new Error("dead-letter transaction was discarded");
  }

  /** The newest letters first. */
  async list(campaign: string, limit = 100): Promise<StoredDeadLetter[]> {
    const values = await this.redis.lrange(campaignKeys(campaign, this.shards).deadLetters, 0, limit - 1);
    return values.map((v) => JSON.parse(v) as StoredDeadLetter);
  }
}
