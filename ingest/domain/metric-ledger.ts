// What one invocation counted, grouped by dimension set, until it is flushed as EMF: counts summed, timings kept as values.

export type Dimensions = Readonly<Record<string, string>>;

export interface MetricGroup {
  readonly dimensions: Dimensions;
  /** Count metrics, summed over the invocation. */
  readonly counts: Map<string, number>;
  /** Timing metrics in milliseconds, one value per observation (EMF takes an array of values). */
  readonly timings: Map<string, number[]>;
}

export class MetricLedger {
  private readonly groups = new Map<string, MetricGroup>();

  private group(dimensions: Dimensions): MetricGroup {
    const key = JSON.stringify(Object.entries(dimensions));
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { dimensions, counts: new Map(), timings: new Map() };
      this.groups.set(key, group);
    }
    return group;
  }

  /** Makes the counts exist (as 0 unless counted), so an invocation reports them even when nothing happened. */
  ensure(dimensions: Dimensions, names: readonly string[]): void {
    const { counts } = this.group(dimensions);
    for (const name of names) if (!counts.has(name)) counts.set(name, 0);
  }

  count(dimensions: Dimensions, name: string, n: number): void {
    const { counts } = this.group(dimensions);
    counts.set(name, (counts.get(name) ?? 0) + n);
  }

  time(dimensions: Dimensions, name: string, ms: number): void {
    const { timings } = this.group(dimensions);
    const values = timings.get(name);
    if (values === undefined) timings.set(name, [ms]);
    else values.push(ms);
  }

  /** Every group, then empties the ledger. */
  drain(): MetricGroup[] {
    const groups = [...this.groups.values()];
    this.groups.clear();
    return groups;
  }
}
