// The fold loop: every tick renew or try the lease; the leader reads all shards, builds and publishes a snapshot.
import { performance } from "node:perf_hooks";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import { type CounterTotals, PublishRefusedError, type Store } from "../core/store/index.js";
import { waitAtMost } from "../core/timeout.js";
import { EpochUnavailableError, FoldReadError } from "./errors.js";
import type { LeaderLease } from "./lease.js";
import type { AggregatorMetrics } from "./metrics.js";
import { PaceWindow } from "./pace.js";
import { buildSnapshotBody } from "./snapshot-builder.js";
import { StateLossGuard } from "./state-loss.js";
import type { ThrottledLog } from "./throttled-log.js";
import { totalsFingerprint } from "./totals-fingerprint.js";

export interface FoldLoopDeps {
  readonly config: Config;
  readonly store: Store;
  readonly lease: LeaderLease;
  readonly logger: Logger;
  readonly errors: ThrottledLog;
  readonly metrics: AggregatorMetrics;
}

export interface FoldLoopStats {
  readonly epoch: string | undefined;
  readonly lastSeq: number | undefined;
  readonly lastFoldMs: number | undefined;
  readonly folds: number;
  readonly publishes: number;
  readonly skippedTicks: number;
  /** Failures since start, by operation (the same as sales_aggregator_errors_total{op}). */
  readonly errors: Readonly<Record<FoldErrorOp, number>>;
}

export type FoldErrorOp = "epoch" | "lease" | "fold" | "state-loss" | "publish";

export class FoldLoop {
  private epoch: string | undefined;
  private leader = false;
  private lastFingerprint: string | undefined;
  private lastPublishAtMs = 0;
  private lastSampleAtMs = 0;
  private lastSeq: number | undefined;
  private lastFoldMs: number | undefined;
  private folds = 0;
  private publishes = 0;
  private skippedTicks = 0;
  private readonly errorCounts: Record<FoldErrorOp, number> = { epoch: 0, lease: 0, fold: 0, "state-loss": 0, publish: 0 };
  private running: Promise<void> | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly pace = new PaceWindow();

  private stateLoss: StateLossGuard | undefined;

  constructor(private readonly deps: FoldLoopDeps) {}

  private guard(): StateLossGuard {
    this.stateLoss ??= new StateLossGuard(this.deps.store.snapshots, this.deps.config.campaign);
    return this.stateLoss;
  }

  /** True while counter state is known lost; adopts the new epoch once reconcile --rebuild has written one. */
  private async heldForStateLoss(epoch: string): Promise<boolean> {
    const guard = this.guard();
    if (guard.lost === undefined) return false;
    const rebuilt = await guard.rebuiltEpoch(epoch).catch(() => undefined);
    if (rebuilt === undefined) return true;
    this.epoch = rebuilt;
    this.lastFingerprint = undefined;
    this.deps.logger.warn(
      { from: epoch, to: rebuilt, campaign: this.deps.config.campaign },
      "counters rebuilt: publishing under the new epoch",
    );
    return false;
  }

  isLeader(): boolean {
    return this.leader && this.deps.lease.held;
  }

  stats(): FoldLoopStats {
    const { epoch, lastSeq, lastFoldMs, folds, publishes, skippedTicks } = this;
    return { epoch, lastSeq, lastFoldMs, folds, publishes, skippedTicks, errors: { ...this.errorCounts } };
  }

  private failed(op: FoldErrorOp): void {
    this.errorCounts[op]++;
    this.deps.metrics.errors.inc({ op });
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.deps.config.foldIntervalMs);
  }

  /**
   * Stops ticking and waits (bounded: Redis may be down) for a fold in flight. Releasing the lease while a
   * publish is still in flight is safe: the publish script checks the lease atomically.
   */
  async stop(maxWaitMs = 1000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.running) await waitAtMost(this.running, maxWaitMs);
    this.leader = false;
    this.deps.metrics.leader.set(0);
  }

  /** Runs one tick unless the previous one is still running: folds never overlap, late ticks are skipped. */
  tick(): Promise<void> {
    if (this.running) {
      this.skippedTicks++;
      this.deps.metrics.skippedTicks.inc();
      return this.running;
    }
    this.running = this.runTick().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runTick(): Promise<void> {
    const { errors } = this.deps;
    try {
      if (this.epoch === undefined) {
        this.epoch = await this.deps.store.snapshots.ensureEpoch(this.deps.config.campaign).catch((err: unknown) => {
          throw new EpochUnavailableError(err);
        });
        this.deps.logger.info({ epoch: this.epoch, campaign: this.deps.config.campaign }, "campaign epoch loaded");
      }
      this.setLeader(await this.deps.lease.tryAcquire());
      errors.recovered("lease", "Redis reachable again");
    } catch (err) {
      if (this.stopped) return;
      this.failed(this.epoch === undefined ? "epoch" : "lease");
      errors.error("lease", err, "cannot reach Redis for the epoch or the lease; retrying every tick");
      // Keep folding on the local view of the lease; the publish script refuses if it lapsed.
      this.setLeader(this.deps.lease.held);
    }
    if (this.epoch === undefined || this.stopped) return;
    if (this.leader && (await this.heldForStateLoss(this.epoch))) return;
    if (this.leader) await this.foldAndPublish(this.epoch);
    else if (Date.now() - this.lastSampleAtMs >= this.deps.config.heartbeatMs) await this.sampleOnly();
  }

  private setLeader(leader: boolean): void {
    if (leader === this.leader || this.stopped) return;
    this.leader = leader;
    this.deps.metrics.leader.set(leader ? 1 : 0);
    // A new leader publishes at once: it cannot know what the previous one published last.
    this.lastFingerprint = undefined;
    this.deps.logger.info(
      { token: this.deps.lease.token, campaign: this.deps.config.campaign },
      leader ? "leader: folding and publishing" : "standby",
    );
  }

  /** Standbys sample the counters once per heartbeat so a takeover starts with a warm pace window. */
  private async sampleOnly(): Promise<void> {
    try {
      const atMs = Date.now();
      const totals = await this.readTotals();
      this.recordSample(atMs, totals);
    } catch {
      // A standby's sample is optional; the leader path logs read failures.
    }
  }

  private async readTotals(): Promise<CounterTotals> {
    try {
      return await this.deps.store.totals.read(this.deps.config.campaign);
    } catch (err) {
      throw new FoldReadError(err);
    }
  }

  private recordSample(atMs: number, totals: CounterTotals): void {
    this.pace.record({ atMs, count: totals.count, net: totals.net });
    this.lastSampleAtMs = atMs;
  }

  private async foldAndPublish(epoch: string): Promise<void> {
    const { config, store, lease, errors, metrics } = this.deps;
    const startedMs = performance.now();
    const atMs = Date.now();
    let totals: CounterTotals;
    try {
      totals = await this.readTotals();
    } catch (err) {
      if (this.stopped) return;
      this.failed("fold");
      errors.error("fold", err, "fold failed: could not read the shard counters");
      return;
    }
    errors.recovered("fold", "fold reads work again");
    this.recordSample(atMs, totals);
    const lost = this.guard().inspect(epoch, totals);
    if (lost !== undefined) {
      this.failed("state-loss");
      errors.error("state-loss", new Error(lost), `${lost}. Not publishing until reconcile --rebuild sets a new epoch.`);
      return;
    }
    const fingerprint = totalsFingerprint(totals);
    const changed = fingerprint !== this.lastFingerprint;
    const heartbeatDue = atMs - this.lastPublishAtMs >= config.heartbeatMs;
    const perMinute = this.pace.paceOf({ atMs, count: totals.count, net: totals.net });
    const foldMs = performance.now() - startedMs;
    this.folds++;
    this.lastFoldMs = foldMs;
    metrics.foldSeconds.observe(foldMs / 1000);
    if (!changed && !heartbeatDue) return;

    const body = buildSnapshotBody(totals, { campaign: config.campaign, epoch, currency: config.currency, atMs, foldMs, perMinute });
    try {
      const seq = await store.snapshots.publish(lease.token, body);
      this.lastFingerprint = fingerprint;
      this.lastPublishAtMs = atMs;
      this.lastSeq = seq;
      this.publishes++;
      metrics.publishes.inc({ reason: changed ? "change" : "heartbeat" });
      metrics.seq.set(seq);
      errors.recovered("publish", "publishing works again");
    } catch (err) {
      if (!this.stopped) this.onPublishFailed(err, epoch);
    }
  }

  private onPublishFailed(err: unknown, epoch: string): void {
    const { lease, errors, logger } = this.deps;
    this.failed("publish");
    if (err instanceof PublishRefusedError && err.code === "NOT_LEADER") {
      lease.lose();
      this.setLeader(false);
      logger.warn({ token: lease.token }, "publish refused: another aggregator holds the lease");
    } else if (err instanceof PublishRefusedError) {
      this.guard().markLost(`Redis no longer has epoch ${epoch}`);
      // Counter state was lost or rebuilt under us: publishing would mix two histories. Rebuild is a separate step.
      errors.error(
        "publish",
        err,
        `EPOCH_MISMATCH: Redis no longer has epoch ${epoch}; counter state was lost. Not publishing until it is rebuilt.`,
      );
    } else {
      errors.error("publish", err, "publish failed");
    }
  }
}
