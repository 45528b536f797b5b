// Rate-limited error logging: a dead Redis at 10 folds a second would otherwise write 10 lines a second.
import type { Logger } from "../core/logger.js";

interface Episode {
  lastLoggedMs: number;
  suppressed: number;
}

export class ThrottledLog {
  private readonly episodes = new Map<string, Episode>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
  ) {}

  /** Logs the first failure of `key` at once, then at most once per interval with a count of the ones skipped. */
  error(key: string, err: unknown, message: string, level: "error" | "warn" = "error"): void {
    const nowMs = Date.now();
    const episode = this.episodes.get(key);
    if (episode && nowMs - episode.lastLoggedMs < this.intervalMs) {
      episode.suppressed++;
      return;
    }
    this.logger[level]({ err, op: key, suppressed: episode?.suppressed ?? 0 }, message);
    this.episodes.set(key, { lastLoggedMs: nowMs, suppressed: 0 });
  }

  /** Ends a failure episode, logging the recovery once so operators see when it stopped. */
  recovered(key: string, message: string): void {
    if (!this.episodes.delete(key)) return;
    this.logger.info({ op: key }, message);
  }
}
