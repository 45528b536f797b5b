// Feeds the snapshot store from Redis: PSUBSCRIBE to every campaign's channel, GET latest at start, after each reconnect and on demand.
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import { closeRedis, createRedis, createSubscriber, onReconnect, type RedisClient } from "../core/redis.js";
import { checkRedisAtStart } from "../core/redis-startup.js";
import { openStore, PublishedSnapshots, type Store } from "../core/store/index.js";
import { waitAtMost, withTimeout } from "../core/timeout.js";
import { type CampaignLookup, CampaignLookups } from "./campaign-lookups.js";
import { FeedWatchdog } from "./feed-watchdog.js";
import { MarkWitness } from "./mark-witness.js";
import type { SnapshotStore } from "./snapshot-store.js";

export type { CampaignLookup } from "./campaign-lookups.js";

export interface FeedReadiness {
  readonly redisStatus: string;
  readonly subscriberStatus: string;
  /** The command connection can run GETs. */
  readonly redisReady: boolean;
  /** The PSUBSCRIBE is active on a live connection. */
  readonly subscribed: boolean;
}

const lookupTimeoutMs = 2000;

export class SnapshotFeed {
  private readonly redis: RedisClient;
  private readonly sub: RedisClient;
  /** The store over the command connection: latest snapshots, campaigns, history and milestones. */
  readonly data: Store;
  private readonly witness: MarkWitness;
  private subscribed = false;
  private redisDownLogged = false;
  private lastDeliveryAtMs = Date.now();
  private readonly watchdog: FeedWatchdog;
  /** One Redis command per campaign name per second, found or not, however many requests name it. */
  private readonly lookups = new CampaignLookups((campaign) =>
    withTimeout(
      this.loadCampaign(campaign),
      lookupTimeoutMs,
      () => new Error(`timed out after ${lookupTimeoutMs} ms looking up campaign ${campaign} in Redis`),
    ),
  );
  private resolveFirstSubscription: () => void = () => undefined;
  private readonly firstSubscription = new Promise<void>((resolve) => {
    this.resolveFirstSubscription = resolve;
  });

  constructor(
    private readonly config: Config,
    private readonly store: SnapshotStore,
    private readonly logger: Logger,
  ) {
    this.redis = createRedis(config, { name: "broadcaster" });
    this.sub = createSubscriber(config, "broadcaster-sub");
    this.data = openStore(this.redis, config);
    this.witness = new MarkWitness(config, store, this.data.snapshots, logger);
    this.watchdog = new FeedWatchdog(
      {
        lastDeliveryAtMs: () => this.lastDeliveryAtMs,
        pingSubscriber: () => this.sub.ping(),
        readLatest: () => this.data.snapshots.readLatest(config.campaign),
        offer: (json) => this.accept(config.campaign, json),
        resetSubscriber: (reason) => {
          this.logger.warn({ reason }, "snapshot feed stale: reconnecting the subscriber connection");
          this.subscribed = false;
          this.sub.disconnect(true);
        },
        resetCommandConnection: (reason) => {
          this.logger.warn({ reason }, "snapshot feed stale: reconnecting the command connection");
          this.redis.disconnect(true);
        },
      },
      config.heartbeatMs,
    );
  }

  /** Subscribes and loads the latest snapshot; waits at most `timeoutMs` for Redis, then keeps trying in the background. */
  async start(timeoutMs = 5000): Promise<void> {
    this.sub.on("pmessage", (_pattern: string, channel: string, message: string) => this.onMessage(channel, message));
    this.lastDeliveryAtMs = Date.now();
    this.watchdog.start();
    // ioredis resubscribes by itself after a reconnect; we subscribe again too (harmless, Redis keeps one pattern)
    // so we know when the subscription is live, and reload latest to cover what was published while we were away.
    this.sub.on("ready", () => void this.subscribe());
    for (const event of ["close", "end", "reconnecting"]) this.sub.on(event, () => this.onSubscriptionLost());
    for (const client of [this.redis, this.sub]) client.on("error", (err: Error) => this.onRedisError(err));
    this.redis.on("ready", () => {
      this.redisDownLogged = false;
    });
    if (this.sub.status === "ready") void this.subscribe();
    // Wrong credentials or TLS settings reject here (the broadcaster does not start); a broadcaster only reads, so an
    // evicting policy is a warning for it (ingest and the aggregator refuse to run).
    const checked = checkRedisAtStart(this.redis, this.config, {
      refuseEviction: false,
      waitMs: timeoutMs,
      warn: (message) => this.logger.warn(message),
      onLateProblem: (err) => this.logger.fatal({ code: err.code }, err.message),
    });
    const [subscribed] = await Promise.all([waitAtMost(this.firstSubscription, timeoutMs), checked]);
    if (!subscribed) this.logger.warn({ timeoutMs }, "Redis not reachable yet; serving 503 until the snapshot feed is up");
    this.witness.start();
  }

  /** Calls `listener` whenever the command or the subscriber connection reconnects (a Redis failover, a network cut). */
  onReconnect(listener: () => void): void {
    for (const client of [this.redis, this.sub]) onReconnect(client, listener);
  }

  readiness(): FeedReadiness {
    return {
      redisStatus: this.redis.status,
      subscriberStatus: this.sub.status,
      redisReady: this.redis.status === "ready",
      subscribed: this.subscribed && this.sub.status === "ready",
    };
  }

  /** Finds a campaign not in the store yet in Redis (one command, answers remembered a second, bounded). */
  lookup(campaign: string): Promise<CampaignLookup> {
    if (this.store.get(campaign)) return Promise.resolve("found");
    return this.lookups.lookup(campaign);
  }

  /** Half-open connections the watchdog reset so far. */
  get watchdogResets(): number {
    return this.watchdog.resets;
  }

  async close(): Promise<void> {
    this.watchdog.stop();
    this.subscribed = false;
    this.witness.stop();
    await Promise.all([closeRedis(this.sub), closeRedis(this.redis)]);
  }

  private async subscribe(): Promise<void> {
    try {
      await this.sub.psubscribe(PublishedSnapshots.channelPattern);
    } catch (err) {
      this.logger.warn({ err }, "subscribing to snapshots failed; retrying on the next reconnect");
      return;
    }
    this.subscribed = true;
    this.logger.info({ pattern: PublishedSnapshots.channelPattern }, "subscribed to the snapshots of every campaign");
    try {
      await this.reloadLatest();
    } catch (err) {
      this.logger.warn({ err }, "loading the latest snapshots failed; waiting for the next one published");
    }
    this.resolveFirstSubscription();
  }

  private onSubscriptionLost(): void {
    if (this.subscribed) this.logger.warn({ status: this.sub.status }, "snapshot subscription lost; ioredis reconnects and resubscribes");
    this.subscribed = false;
  }

  private onRedisError(err: Error): void {
    // ioredis emits one error per reconnect attempt; one line per outage is enough.
    if (this.redisDownLogged) return;
    this.redisDownLogged = true;
    this.logger.warn({ err }, "Redis connection error");
  }

  /**
   * Loads latest for the configured campaign and every campaign already served, then offers what we hold: after a
   * failover the new primary may have lost the last publishes (its latest and seq are then lower than ours).
   */
  private async reloadLatest(): Promise<void> {
    const campaigns = [...new Set([this.config.campaign, ...this.store.campaigns()])];
    await Promise.all(campaigns.map((campaign) => this.loadCampaign(campaign)));
    await this.witness.offer(campaigns);
  }

  private async loadCampaign(campaign: string): Promise<CampaignLookup> {
    const { latest, served } = await this.data.snapshots.lookup(campaign);
    if (latest !== null) this.accept(campaign, latest);
    if (this.store.get(campaign)) return "found";
    return served ? "empty" : "unknown";
  }

  private onMessage(channel: string, message: string): void {
    this.lastDeliveryAtMs = Date.now();
    const campaign = PublishedSnapshots.campaignOfChannel(channel);
    if (campaign !== undefined) this.accept(campaign, message);
  }

  /** Offers a snapshot to the store; true when it replaced what the store had. */
  private accept(campaign: string, json: string): boolean {
    try {
      return this.store.offer(campaign, json) !== undefined;
    } catch (err) {
      this.logger.warn({ err, campaign }, "dropped a snapshot that is not valid");
      return false;
    }
  }
}
