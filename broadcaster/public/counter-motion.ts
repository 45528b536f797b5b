// The displayed value's motion toward the latest total: monotonic between snapshots, down only on a real drop (once).

/** One upward glide lasts this long; a snapshot landing mid-glide starts a new one from where the number is. */
export const glideMs = 600;

export class CounterMotion {
  /** What is on screen now (null before the first snapshot). */
  shown: bigint | null = null;
  /** The latest snapshot's value. */
  target: bigint | null = null;
  private from = 0n;
  private startedMs = 0;

  constructor(private readonly reducedMotion: () => boolean) {}

  /** A new latest value. Returns true when the number has somewhere to glide to (a frame is needed). */
  setTarget(target: bigint, nowMs: number): boolean {
    this.target = target;
    // First value, a real drop below what is shown (a refund), or no motion wanted: jump, exactly once.
    if (this.shown === null || target < this.shown || this.reducedMotion()) {
      this.shown = target;
      return false;
    }
    if (target === this.shown) return false;
    this.from = this.shown;
    this.startedMs = nowMs;
    return true;
  }

  /** Jumps to the target (a hidden tab, or the reader asked for no motion). */
  settle(): void {
    if (this.target !== null) this.shown = this.target;
  }

  get moving(): boolean {
    return this.shown !== null && this.target !== null && this.shown !== this.target;
  }

  /** Advances to `nowMs` on an ease-out curve; never below what was shown, never past the target. */
  step(nowMs: number): bigint | null {
    const { target, shown } = this;
    if (target === null || shown === null || shown === target) return shown;
    const t = Math.min(1, Math.max(0, (nowMs - this.startedMs) / glideMs));
    const eased = 1 - (1 - t) ** 3;
    // Per mille in BigInt: money never becomes a float, even at 1조 and beyond.
    const permille = BigInt(Math.round(eased * 1000));
    let next = t >= 1 ? target : this.from + ((target - this.from) * permille) / 1000n;
    if (next < shown) next = shown;
    if (next > target) next = target;
    this.shown = next;
    return next;
  }
}
