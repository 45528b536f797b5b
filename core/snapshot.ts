// The snapshot: what the aggregator publishes and every viewer receives. Field names are fixed (docs/architecture.md).

export interface DimensionTotals {
  /** Net amount in minor units, decimal string. */
  readonly total: string;
  /** Payments counted (refunds excluded). */
  readonly count: number;
}

export interface Snapshot {
  readonly campaign: string;
  /** Changes only when counter state was lost and rebuilt. */
  readonly epoch: string;
  /** Monotonic per campaign within an epoch. */
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

/** True when `next` should replace `current` for a viewer: a new epoch, or a higher seq in the same epoch. */
export function supersedes(next: Pick<Snapshot, "epoch" | "seq">, current: Pick<Snapshot, "epoch" | "seq"> | undefined): boolean {
  if (current === undefined) return true;
  if (next.epoch !== current.epoch) return true;
  return next.seq > current.seq;
}
