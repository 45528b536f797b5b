// Pace over a sliding window (payments and net amount in the last 60 s), from fold samples kept in memory.

export interface PaceSample {
  readonly atMs: number;
  readonly count: bigint;
  readonly net: bigint;
}

export interface Pace {
  readonly count: number;
  /** Net amount in minor units, decimal string; negative when refunds outweigh payments in the window. */
  readonly total: string;
}

export class PaceWindow {
  private samples: PaceSample[] = [];
  private start = 0;

  constructor(readonly windowMs = 60_000) {}

  /** Adds a sample and forgets the ones that fell out of the window. */
  record(sample: PaceSample): void {
    this.samples.push(sample);
    const oldestMs = sample.atMs - this.windowMs;
    while (this.start < this.samples.length - 1 && (this.samples[this.start]?.atMs ?? oldestMs) < oldestMs) this.start++;
    // Compact now and then instead of shifting on every fold.
    if (this.start > 1024 && this.start * 2 > this.samples.length) {
      this.samples = this.samples.slice(this.start);
      this.start = 0;
    }
  }

  /**
   * Change since the oldest sample in the window. Right after a start the window is shorter than 60 s,
   * so the pace is "since start" until a full window has passed.
   */
  paceOf(current: PaceSample): Pace {
    const oldest = this.samples[this.start];
    if (oldest === undefined) return { count: 0, total: "0" };
    const count = current.count - oldest.count;
    return { count: count > 0n ? Number(count) : 0, total: (current.net - oldest.net).toString() };
  }

  get size(): number {
    return this.samples.length - this.start;
  }
}
