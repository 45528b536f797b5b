// A milestone: a threshold of the campaign total (every MILESTONE_STEP minor units), when it was first crossed, and the
// delivery state of its notifications (the outbox: one per target, removed only after a successful delivery).

/** Where a milestone is notified: MILESTONE_WEBHOOK_URL ("webhook") and MILESTONE_FUNCTION ("function"). */
export const notificationTargets = ["webhook", "function"] as const;
export type NotificationTarget = (typeof notificationTargets)[number];

export interface Milestone {
  /** Threshold in minor units, decimal string. */
  readonly threshold: string;
  /** The first recorded snapshot at or above it. */
  readonly total: string;
  readonly count: number;
  readonly seq: number;
  /** When the total first reached the threshold (ISO-8601): exact, or estimated when nobody recorded at the time. */
  readonly at: string;
  /**
   * exact: the recorder saw the total below the threshold one recording (about a second) before it saw it above, and
   * `at` is the time of the first snapshot above. estimated: it crossed while nobody recorded (a restart, an outage),
   * `at` is interpolated in the recorded history between `after` and `by`. Absent on records older than this field.
   */
  readonly timing?: "exact" | "estimated";
  /** Estimated only: the last recorded moment the total was still below (absent when no earlier point exists). */
  readonly after?: string;
  /** Estimated only: the first recorded moment the total was at or above. */
  readonly by?: string;
  /** When the aggregator recorded it. */
  readonly recordedAt?: string;
}

/** The delivery of one milestone to one target. */
export interface NotificationState {
  /** pending until a delivery succeeded; a pending notification is retried with backoff by the lease holder. */
  readonly state: "pending" | "delivered";
  /** Deliveries started, and how many of them failed. */
  readonly attempts: number;
  readonly failures: number;
  readonly queuedAt?: string;
  readonly lastAttemptAt?: string;
  readonly nextAttemptAt?: string;
  readonly lastError?: string;
  readonly deliveredAt?: string;
}

/** A milestone as GET /v1/milestones answers it: with the delivery state of each of its notifications. */
export interface MilestoneRecord extends Milestone {
  /** none: no notification target was configured when it was recorded; pending: some target has not acknowledged. */
  readonly delivery: "none" | "pending" | "delivered";
  readonly notifications: Partial<Record<NotificationTarget, NotificationState>>;
}

/** The key a receiver deduplicates by: sent in the payload and, to webhooks, as the Idempotency-Key header. */
export function idempotencyKey(campaign: string, threshold: string): string {
  return `${campaign}:${threshold}`;
}
