// Which epoch the leader publishes under: read from Redis, given back to Redis from what this aggregator held when
// Redis lost it, started only on a development stack (CAMPAIGN_AUTOSTART), never invented over an empty campaign.
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import { compareEpochs } from "../core/snapshot.js";
import type { Store } from "../core/store/index.js";
import { EpochUnavailableError } from "./errors.js";
import type { MarkGuard } from "./mark-guard.js";
import type { ThrottledLog } from "./throttled-log.js";

export interface CampaignEpochDeps {
  readonly config: Config;
  readonly store: Store;
  readonly logger: Logger;
  readonly errors: ThrottledLog;
  readonly mark: MarkGuard;
}

const howToStart =
  "Start a new campaign with `npm run reconcile -- --start-campaign`, or rebuild lost counters from the payments export " +
  "with `npm run reconcile -- --file <export> --rebuild`. A broadcaster that still holds the last snapshot gives it back by itself.";

export class CampaignEpoch {
  private epoch: string | undefined;

  constructor(private readonly deps: CampaignEpochDeps) {}

  get current(): string | undefined {
    return this.epoch;
  }

  /** Forget the epoch (the publish script found another one): the next resolve reads Redis again. */
  reset(): void {
    this.epoch = undefined;
  }

  /**
   * The epoch to publish under, or undefined while the campaign has none that may be used. Rejects with
   * EpochUnavailableError when Redis cannot be read.
   */
  async resolve(): Promise<string | undefined> {
    if (this.epoch !== undefined) return this.epoch;
    const { config, store, logger, errors, mark } = this.deps;
    const campaign = config.campaign;
    const state = await store.snapshots.readState(campaign).catch((err: unknown) => {
      throw new EpochUnavailableError(err);
    });
    mark.rememberJson(state.good);
    const held = mark.good;

    if (held && (state.epoch === undefined || compareEpochs(held.epoch, state.epoch) > 0)) {
      // Redis lost the epoch (or went back to one before a rebuild): what this aggregator published or read is the record.
      const outcome = await store.snapshots.restore(held).catch((err: unknown) => {
        throw new EpochUnavailableError(err);
      });
      if (outcome === "later-epoch") return undefined; // a rebuild wrote one meanwhile: read again next tick
      logger.warn(
        { campaign, epoch: held.epoch, seq: held.seq, total: held.total, count: held.count, redisEpoch: state.epoch ?? null },
        "Redis had lost the campaign's epoch and published mark: restored them from the last snapshot this aggregator holds",
      );
      return this.use(held.epoch);
    }
    if (state.epoch !== undefined) {
      mark.adopt(state.epoch);
      return this.use(state.epoch);
    }
    if (config.campaignAutostart) {
      const started = await store.snapshots.startCampaign(campaign).catch((err: unknown) => {
        throw new EpochUnavailableError(err);
      });
      if (started.epoch !== undefined) {
        if (started.started) logger.info({ campaign, epoch: started.epoch }, "campaign started (CAMPAIGN_AUTOSTART=1)");
        return this.use(started.epoch);
      }
    }
    errors.error(
      "no-epoch",
      undefined,
      `campaign ${campaign} has no epoch and no published mark in Redis: not publishing rather than start a count from what may be lost state. ${howToStart}`,
    );
    return undefined;
  }

  private use(epoch: string): string {
    this.epoch = epoch;
    this.deps.errors.recovered("no-epoch", "campaign epoch present again");
    this.deps.logger.info({ epoch, campaign: this.deps.config.campaign }, "campaign epoch loaded");
    return epoch;
  }
}
