// The snapshot: what the aggregator publishes and every viewer receives. Field names are fixed (docs/architecture.md).

export interface DimensionTotals {
  /** Net amount in minor units, decimal string. */
  readonly total: string;
  /** Payments counted (refunds excluded). */
  readonly count: number;
}

export interface Snapshot {
  readonly campaign: string;
  /**
   * The counting history this snapshot belongs to: created when the campaign starts, replaced only by a rebuild.
   * Epochs are ordered (compareEpochs): a later epoch replaces an earlier one, never the other way round.
   */
  readonly epoch: string;
  /**
   * Increases with every publish of the campaign, across aggregator and Redis failovers: at least the publish time in
   * milliseconds since 1970, so a Redis that rolled back its counter of publishes can never hand out a seq again.
   */
  readonly seq: number;
  /** When the fold that built this snapshot ran (ISO-8601). */
  readonly at: string;
  readonly currency: string;
  /** Net total (payments minus refunds), minor units, decimal string. */
  readonly total: string;
  /** Payments counted (refunds excluded). */
  readonly count: number;
  /** Sum of refunds, minor units, decimal string. */
  readonly refunded: string;
  /** Refunds counted. */
  readonly refunds: number;
  /** Pace over the last 60 s: payments and net amount. */
  readonly perMinute: { readonly count: number; readonly total: string };
  readonly channels: Readonly<Record<string, DimensionTotals>>;
  readonly categories: Readonly<Record<string, DimensionTotals>>;
  /** Deliveries of an already counted paymentId (counted zero times). */
  readonly duplicates: number;
  /** Events rejected by validation. */
  readonly rejected: number;
  /** Duration of the fold that built this snapshot. */
  readonly foldMs: number;
  /**
   * Present (true) when the counters fell below what was already published (a failover rolled writes back, or state
   * was lost): the figures are those of the last good snapshot, republished so viewers stay live but frozen.
   */
  readonly degraded?: true;
  /** Why the snapshot is degraded, for operators and dashboards. */
  readonly degradedReason?: string;
  /** Since when (ISO-8601) the aggregator has been publishing degraded snapshots. */
  readonly degradedSince?: string;
}

export type SnapshotBody = Omit<Snapshot, "seq">;

/**
 * Splits the JSON of a snapshot around its seq, so the publish script can put the seq it assigns
 * atomically in between: head + seq + tail is the whole JSON.
 */
export function encodeSnapshotParts(body: SnapshotBody): { head: string; tail: string } {
  const { campaign, epoch, ...rest } = body;
  const head = `{"campaign":${JSON.stringify(campaign)},"epoch":${JSON.stringify(epoch)},"seq":`;
  const tail = `,${JSON.stringify(rest).slice(1)}`;
  return { head, tail };
}

/** Parses and checks a snapshot from Redis; throws on anything that is not one. */
export function parseSnapshot(json: string): Snapshot {
  const value = JSON.parse(json) as Partial<Snapshot>;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof value.campaign !== "string" ||
    typeof value.epoch !== "string" ||
    typeof value.seq !== "number" ||
    typeof value.total !== "string" ||
    typeof value.count !== "number"
  ) {
    throw new Error("not a snapshot: campaign, epoch, seq, total or count missing");
  }
  return value as Snapshot;
}

/**
 * Orders epochs: negative when `a` is earlier than `b`, 0 when equal, positive when later. Epoch ids are compared code
 * unit by code unit; the ids we create start with their creation time (ISO-8601), so this is their creation order, and
 * an id made to follow another is that id plus a suffix. The publish script and the mark restore compare the same way.
 */
export function compareEpochs(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * True when `next` should replace `current` for a viewer or a broadcaster: a later epoch, or a higher seq in the same
 * epoch. An earlier epoch never replaces a later one, whatever its seq: it is a late delivery from before a rebuild.
 */
export function supersedes(next: Pick<Snapshot, "epoch" | "seq">, current: Pick<Snapshot, "epoch" | "seq"> | undefined): boolean {
  if (current === undefined) return true;
  const order = compareEpochs(next.epoch, current.epoch);
  if (order !== 0) return order > 0;
  return next.seq > current.seq;
}
