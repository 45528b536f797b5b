// A milestone: a threshold of the campaign total (every MILESTONE_STEP minor units) and the snapshot that first reached it.

export interface Milestone {
  /** Threshold in minor units, decimal string. */
  readonly threshold: string;
  /** The snapshot that first showed the total at or above it. */
  readonly total: string;
  readonly count: number;
  readonly at: string;
  readonly seq: number;
}
