// Validates a batch of raw events, counts the valid ones exactly once, and reports each bad one by index.

import { performance } from "node:perf_hooks";
import type { Logger } from "../../core/logger.js";
import { RedisStartupError } from "../../core/redis-startup.js";
import { CountersFencedError } from "../../core/store/index.js";
import type { CounterWriter } from "./counter-writer.js";
import { CounterRebuildingError, CounterRefusedError, CounterUnavailableError } from "./errors.js";
import type { IngestMetrics } from "./metrics.js";
import { type CampaignRules, type PaymentEvent, type Rejection, validateEvent } from "./payment-event.js";

export interface ItemRejection extends Rejection {
  readonly index: number;
}

export interface IngestSummary {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: ItemRejection[];
}

export class PaymentIngestor {
  constructor(
    private readonly writer: CounterWriter,
    private readonly rules: CampaignRules,
    private readonly logger: Logger,
    private readonly metrics: IngestMetrics,
    /** Runs before the first write (and again until it succeeds): the Redis checks a Lambda container cannot run at start. */
    private readonly beforeWrite: () => Promise<void> = () => Promise.resolve(),
  ) {}

  /** Validates and counts; throws CounterUnavailableError when Redis fails, CounterRebuildingError during a rebuild (retrying is safe). */
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
      const startedAt = performance.now();
      let outcomes: Awaited<ReturnType<CounterWriter["write"]>>;
      try {
        await this.beforeWrite();
        outcomes = await this.writer.write(valid);
      } catch (err) {
        this.metrics.redisError(source);
        if (err instanceof RedisStartupError) {
          this.logger.error({ code: err.code }, err.message);
          throw new CounterRefusedError(err);
        }
        if (err instanceof CountersFencedError) throw new CounterRebuildingError(err);
        this.logger.warn({ err, source, events: valid.length }, "counter write failed");
        throw new CounterUnavailableError(err);
      } finally {
        this.metrics.writeLatency(source, (performance.now() - startedAt) / 1000);
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
      await this.writer.recordRejected(this.rules.campaign, invalid).catch((err: unknown) => {
        this.metrics.redisError(source);
        this.logger.warn({ err }, "could not record rejections");
      });
      this.logger.info({ source, rejected: rejected.slice(0, 5), total: rejected.length }, "events rejected");
    }
    this.metrics.accepted(source, accepted);
    this.metrics.duplicates(source, duplicates);
    for (const [code, n] of countByCode(rejected)) this.metrics.rejected(source, code, n);
    return { accepted, duplicates, rejected };
  }
}

function countByCode(rejected: readonly ItemRejection[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rejected) counts.set(r.code, (counts.get(r.code) ?? 0) + 1);
  return counts;
}
