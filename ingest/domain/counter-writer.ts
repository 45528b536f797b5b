// Writes validated events into the sharded counters exactly once, through the batch count-payments Lua script.
//
// Concurrent write() calls are coalesced: the events of every call made while a flush is being prepared or is in
// flight go out together in the next flush (at most maxBatchEvents events), so many small requests cost Redis and
// the client a few script calls instead of one per event. Each caller still gets its own outcomes, in its order.
//
// Each event carries an attempt token (writer, caller, index) that the script writes into its dedupe mark, so when a
// call's reply is lost (a timeout) and the caller's events are sent again, the events that call counted are reported
// "counted", not "duplicate": an outcome says what happened to that event, not only what the retry did.
import { randomBytes } from "node:crypto";
import type { CounterStore } from "../../core/store/counters.js";
import {
  CountersFencedError,
  type CountItem,
  type CountOutcome,
  maxEventsPerScriptCall,
  ReplicationTimeoutError,
} from "../../core/store/index.js";
import type { PaymentEvent } from "./payment-event.js";

export type WriteOutcome = CountOutcome;

export interface CounterWriterOptions {
  /** Most events in one flush (one script call on standalone Redis; one per shard on a cluster). 1..4096, default 1024. */
  readonly maxBatchEvents?: number;
  /** Flushes in flight at once; callers arriving meanwhile wait for the next flush. Default 2. */
  readonly maxInFlight?: number;
}

export { maxEventsPerScriptCall };

interface Waiter {
  readonly events: readonly PaymentEvent[];
  /** Unique to this write() call: "<writer>.<call>", base36; an event's attempt token adds ".<index>". */
  readonly attempt: string;
  readonly outcomes: WriteOutcome[];
  /** Events handed to flushes so far. */
  taken: number;
  /** Events without an outcome yet. */
  remaining: number;
  /** The first failure among this caller's events; the caller is rejected with it once nothing is in flight. */
  error: unknown;
  resolve(outcomes: WriteOutcome[]): void;
  reject(err: unknown): void;
}

/** One event of one caller, inside a flush. */
interface Entry {
  readonly waiter: Waiter;
  readonly index: number;
  readonly item: CountItem;
}

const itemOf = (entry: Entry) => entry.item;

export class CounterWriter {
  private readonly maxBatchEvents: number;
  private readonly maxInFlight: number;
  private queue: Waiter[] = [];
  /** 48 random bits: two writers (processes, Lambda containers) never share attempt tokens. */
  private readonly writerId = randomBytes(6).toString("base64url");
  private calls = 0;
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly counters: CounterStore,
    options: CounterWriterOptions = {},
  ) {
    this.maxBatchEvents = options.maxBatchEvents ?? 1024;
    this.maxInFlight = options.maxInFlight ?? 2;
    if (!Number.isInteger(this.maxBatchEvents) || this.maxBatchEvents < 1 || this.maxBatchEvents > maxEventsPerScriptCall)
      throw new RangeError(`maxBatchEvents must be an integer in 1..${maxEventsPerScriptCall}, got ${this.maxBatchEvents}`);
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1)
      throw new RangeError(`maxInFlight must be a positive integer, got ${this.maxInFlight}`);
  }

  /**
   * Counts each event once and resolves with one outcome per event, in input order. A paymentId repeated in
   * the input, or sent by concurrent callers, is counted once: the later ones are duplicates (or conflicts).
   * Rejects if Redis fails: the events may be partly counted, and retrying them all is safe.
   */
  write(events: readonly PaymentEvent[]): Promise<WriteOutcome[]> {
    if (events.length === 0) return Promise.resolve([]);
    return new Promise<WriteOutcome[]>((resolve, reject) => {
      this.queue.push({
        events: events.slice(), // the caller may reuse its array before the flush that sends these events
        attempt: `${this.writerId}.${(this.calls++).toString(36)}`,
        outcomes: new Array<WriteOutcome>(events.length),
        taken: 0,
        remaining: events.length,
        error: undefined,
        resolve,
        reject,
      });
      this.schedule();
    });
  }

  private countItem(event: PaymentEvent, attempt: string): CountItem {
    return {
      attempt,
      campaign: event.campaign,
      paymentId: event.paymentId,
      signedAmount: event.type === "refund" ? -event.amount : event.amount,
      channel: event.channel,
      category: event.category,
      shard: this.counters.shardOf(event.paymentId),
    };
  }

  /** Records events rejected by validation, for the dashboard and metrics. */
  recordRejected(campaign: string, rejected: number): Promise<void> {
    return this.counters.recordRejected(campaign, rejected);
  }

  /** Flushes on the next turn of the event loop, so the writes of every request handled in this turn go together. */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(this.flushQueued);
  }

  private readonly flushQueued = (): void => {
    this.scheduled = false;
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) this.flush();
  };

  /** Takes up to maxBatchEvents queued events (a large write is split across flushes) and sends them. */
  private flush(): void {
    const entries: Entry[] = [];
    let done = 0;
    for (const waiter of this.queue) {
      const take = Math.min(waiter.events.length - waiter.taken, this.maxBatchEvents - entries.length);
      for (let i = waiter.taken; i < waiter.taken + take; i++) {
        const event = waiter.events[i]!;
        entries.push({ waiter, index: i, item: this.countItem(event, `${waiter.attempt}.${i.toString(36)}`) });
      }
      waiter.taken += take;
      if (waiter.taken < waiter.events.length) break;
      done++;
    }
    this.queue = done === this.queue.length ? [] : this.queue.slice(done);
    this.inFlight++;
    void this.send(entries, true).finally(() => {
      this.inFlight--;
      this.schedule();
    });
  }

  /**
   * Sends entries as script calls and settles them; never rejects. When a call that carried several callers'
   * events fails while the connection is still up (on a cluster, a node holding some shards may be down), each
   * caller's part is tried once more on its own, so one caller's failure does not fail everyone coalesced with it.
   */
  private async send(entries: Entry[], isolate: boolean): Promise<void> {
    const calls = this.counters.callGroups(entries, itemOf);
    const retries: Promise<void>[] = [];
    await Promise.all(
      calls.map(async (call) => {
        try {
          this.settle(call, await this.counters.count(call.map(itemOf)));
        } catch (err) {
          const callers = [...new Set(call.map((e) => e.waiter))];
          // A replica that did not confirm in time, or a fenced shard (a rebuild), refuses every caller alike: trying
          // them one by one would only wait or be refused again.
          const refusedAlike = err instanceof ReplicationTimeoutError || err instanceof CountersFencedError;
          if (isolate && callers.length > 1 && this.counters.connected() && !refusedAlike) {
            for (const caller of callers)
              retries.push(
                this.send(
                  call.filter((e) => e.waiter === caller),
                  false,
                ),
              );
          } else for (const entry of call) this.fail(entry, err);
        }
      }),
    );
    await Promise.all(retries);
  }

  private settle(entries: readonly Entry[], outcomes: readonly WriteOutcome[]): void {
    entries.forEach((entry, i) => {
      entry.waiter.outcomes[entry.index] = outcomes[i]!;
      this.done(entry.waiter);
    });
  }

  private fail(entry: Entry, err: unknown): void {
    entry.waiter.error ??= err;
    this.done(entry.waiter);
  }

  private done(waiter: Waiter): void {
    if (--waiter.remaining > 0) return;
    if (waiter.error !== undefined) waiter.reject(waiter.error);
    else waiter.resolve(waiter.outcomes);
  }
}
