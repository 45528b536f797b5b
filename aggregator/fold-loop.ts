// The fold loop: every tick renew or try the lease; the leader reads all shards and publishes a snapshot, or, while the
// counters are below what viewers were already shown, republishes the last good one marked degraded.
import { performance } from "node:perf_hooks";
import type { Config } from "../core/config.js";
import type { Logger } from "../core/logger.js";
import type { Snapshot, SnapshotBody } from "../core/snapshot.js";
import { type CounterTotals, type PublishOutcome, PublishRefusedError, type Store } from "../core/store/index.js";
import { waitAtMost } from "../core/timeout.js";
import { CampaignEpoch } from "./campaign-epoch.js";
import { DegradedEpisodeReport } from "./degraded-episode.js";
import { FoldReadError } from "./errors.js";
import type { FoldErrorOp, FoldLoopStats } from "./fold-stats.js";
import type { LeaderLease } from "./lease.js";
import { MarkGuard } from "./mark-guard.js";
import type { AggregatorMetrics } from "./metrics.js";
import { PaceWindow } from "./pace.js";
import { buildDegradedBody, buildSnapshotBody } from "./snapshot-builder.js";
import type { ThrottledLog } from "./throttled-log.js";
import { totalsFingerprint } from "./totals-fingerprint.js";

export type { FoldErrorOp, FoldLoopStats } from "./fold-stats.js";

export interface FoldLoopDeps {
  readonly config: Config;
  readonly store: Store;
  readonly lease: LeaderLease;
  readonly logger: Logger;
  readonly errors: ThrottledLog;
  readonly metrics: AggregatorMetrics;
}

/** One fold: when it ran, what it read, how long it took. */
interface Fold {
  readonly atMs: number;
  readonly totals: CounterTotals;
  readonly foldMs: number;
}

export class FoldLoop {
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
  private readonly mark = new MarkGuard();
  private readonly epochs: CampaignEpoch;
  private readonly report: DegradedEpisodeReport;

  constructor(private readonly deps: FoldLoopDeps) {
    this.epochs = new CampaignEpoch({ ...deps, mark: this.mark });
    this.report = new DegradedEpisodeReport(this.mark, deps);
  }

  isLeader(): boolean {
    return this.leader && this.deps.lease.held;
  }

  stats(): FoldLoopStats {
    const { lastSeq, lastFoldMs, folds, publishes, skippedTicks } = this;
    const degraded = this.mark.degraded !== undefined;
    return {
      epoch: this.epochs.current,
      lastSeq,
      lastFoldMs,
      folds,
      publishes,
      skippedTicks,
      degraded,
      stateLossUnhealed: this.mark.unhealed,
      errors: { ...this.errorCounts },
    };
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
      this.setLeader(await this.deps.lease.tryAcquire());
      errors.recovered("lease", "Redis reachable again");
    } catch (err) {
      if (this.stopped) return;
      this.failed("lease");
      errors.error("lease", err, "cannot reach Redis for the lease; retrying every tick");
      // Keep folding on the local view of the lease; the publish script refuses if it lapsed.
      this.setLeader(this.deps.lease.held);
    }
    if (this.stopped) return;
    if (this.leader) await this.leaderTick();
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

  /**
   * Standbys sample the counters once per heartbeat, so a takeover starts with a warm pace window, and read the last
   * good snapshot, so that a standby taking over after Redis lost it can give it back.
   */
  private async sampleOnly(): Promise<void> {
    try {
      const atMs = Date.now();
      const [totals, state] = await Promise.all([this.readTotals(), this.deps.store.snapshots.readState(this.deps.config.campaign)]);
      this.recordSample(atMs, totals);
      this.mark.rememberJson(state.good);
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

  private async leaderTick(): Promise<void> {
    const { errors, metrics } = this.deps;
    const startedMs = performance.now();
    const atMs = Date.now();
    let totals: CounterTotals;
    let epoch: string | undefined;
    try {
      totals = await this.readTotals();
      errors.recovered("fold", "fold reads work again");
      epoch = await this.epochs.resolve();
    } catch (err) {
      if (this.stopped) return;
      const op = err instanceof FoldReadError ? "fold" : "epoch";
      this.failed(op);
      errors.error(op, err, op === "fold" ? "fold failed: could not read the shard counters" : "could not read the campaign epoch");
      return;
    }
    this.recordSample(atMs, totals);
    const fold: Fold = { atMs, totals, foldMs: performance.now() - startedMs };
    this.folds++;
    this.lastFoldMs = fold.foldMs;
    metrics.foldSeconds.observe(fold.foldMs / 1000);
    if (epoch === undefined || this.stopped) return;

    const short = this.mark.shortfall(epoch, totals);
    const held = this.mark.good;
    if (short !== undefined && held !== undefined) {
      // Below what this aggregator knows viewers saw: Redis may have rolled its mark back with the counters, so give
      // it back before anything else, then keep the viewers' number until the senders' retries bring the counters back.
      if (!this.mark.restoredInEpisode)
        this.mark.restoredInEpisode = (await this.deps.store.snapshots.restore(held).catch(() => "failed")) !== "failed";
      return this.publishDegraded(held, `counters below the published mark: ${short}`, fold, false);
    }
    const fingerprint = totalsFingerprint(totals);
    const changed = fingerprint !== this.lastFingerprint;
    if (!changed && !this.heartbeatDue(atMs) && this.mark.degraded === undefined) return;
    const perMinute = this.pace.paceOf({ atMs, count: totals.count, net: totals.net });
    const { config } = this.deps;
    const body = buildSnapshotBody(totals, {
      campaign: config.campaign,
      epoch,
      currency: config.currency,
      atMs,
      foldMs: fold.foldMs,
      perMinute,
    });
    const outcome = await this.publish(body, "good", atMs);
    if (outcome === undefined) return;
    if (outcome.kind === "published") {
      this.lastFingerprint = fingerprint;
      this.mark.remember({ ...body, seq: outcome.seq } as Snapshot);
      this.published(outcome.seq, atMs, changed ? "change" : "heartbeat");
      this.report.healed(atMs);
      return;
    }
    const good = this.mark.rememberJson(outcome.good) ?? held;
    const reason =
      outcome.kind === "rebuilding"
        ? "counters are being rebuilt from the payments export (reconcile --rebuild)"
        : `counters below the published mark: ${outcome.field} ${outcome.mark} published`;
    if (good === undefined) return;
    await this.publishDegraded(good, reason, fold, true);
  }

  private heartbeatDue(atMs: number): boolean {
    return atMs - this.lastPublishAtMs >= this.deps.config.heartbeatMs;
  }

  /** Republishes the last good snapshot, marked degraded, at heartbeat rate (at once when `now`). */
  private async publishDegraded(good: Snapshot, reason: string, fold: Fold, now: boolean): Promise<void> {
    const episode = this.report.below(good, reason, fold.atMs);
    if (!now && !this.heartbeatDue(fold.atMs)) return;
    if (good.epoch !== this.epochs.current) return;
    const body: SnapshotBody = buildDegradedBody(good, { atMs: fold.atMs, foldMs: fold.foldMs, reason, sinceMs: episode.sinceMs });
    const outcome = await this.publish(body, "degraded", fold.atMs);
    if (outcome?.kind === "published") this.published(outcome.seq, fold.atMs, "degraded");
  }

  private published(seq: number, atMs: number, reason: "change" | "heartbeat" | "degraded"): void {
    this.lastPublishAtMs = atMs;
    this.lastSeq = seq;
    this.publishes++;
    this.deps.metrics.publishes.inc({ reason });
    this.deps.metrics.seq.set(seq);
    this.deps.errors.recovered("publish", "publishing works again");
  }

  /** Runs the publish script; undefined when it was refused for the lease or the epoch, or failed (logged). */
  private async publish(body: SnapshotBody, kind: "good" | "degraded", atMs: number): Promise<PublishOutcome | undefined> {
    try {
      return await this.deps.store.snapshots.publish(this.deps.lease.token, body, kind, atMs);
    } catch (err) {
      if (!this.stopped) this.onPublishFailed(err, body.epoch);
      return undefined;
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
      // A rebuild wrote a later epoch (adopted), or Redis lost ours (given back from what we hold): resolve again.
      logger.warn({ epoch, redisEpoch: err.currentEpoch ?? null }, "the campaign epoch in Redis changed; reading it again");
      this.epochs.reset();
      this.lastFingerprint = undefined;
    } else {
      errors.error("publish", err, "publish failed");
    }
  }
}
