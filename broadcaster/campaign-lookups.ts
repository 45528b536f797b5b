// A bounded cache of campaign lookups, negative answers included: a burst of requests for names Redis does not know
// (?campaign=<random>) costs Redis one lookup per name per interval, however many requests name it.

/** found: a snapshot is in the store now; empty: an aggregator serves the campaign but has published nothing yet; unknown: no such campaign. */
export type CampaignLookup = "found" | "empty" | "unknown";

interface Entry {
  readonly answer: Promise<CampaignLookup>;
  /** Until when the settled answer is reused; Infinity while the lookup is in flight (callers share it). */
  untilMs: number;
}

export class CampaignLookups {
  // Insertion order is age order (a name looked up again is re-inserted): the oldest go first when full.
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly load: (campaign: string) => Promise<CampaignLookup>,
    /** How long an answer (found, empty, unknown, or a failure) is reused. */
    readonly intervalMs = 1000,
    /** At most this many names are remembered; past it the oldest are forgotten first. */
    readonly maxEntries = 10_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  lookup(campaign: string): Promise<CampaignLookup> {
    const hit = this.entries.get(campaign);
    if (hit !== undefined && Date.now() < hit.untilMs) return hit.answer;
    this.entries.delete(campaign);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    const entry: Entry = { answer: this.load(campaign), untilMs: Number.POSITIVE_INFINITY };
    this.entries.set(campaign, entry);
    // A failure is remembered too: while Redis is down a burst must not turn into one attempt per request.
    const settle = () => {
      entry.untilMs = Date.now() + this.intervalMs;
    };
    entry.answer.then(settle, settle);
    return entry.answer;
  }
}
