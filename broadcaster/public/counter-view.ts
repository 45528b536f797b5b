// The counter on screen: the total glides toward the latest snapshot at a bounded frame rate and rests when there,
// jumps when the reader prefers reduced motion, fits its container, and is announced politely at a sane interval.

import type { Status, Transport } from "./counter-client.js";
import { FitText } from "./counter-fit.js";
import { type CounterFormat, formatAmount, formatCount, shapeOf } from "./counter-format.js";
import { CounterMotion } from "./counter-motion.js";
import type { CounterSnapshot } from "./counter-snapshot.js";

export interface CounterElements {
  /** Gets data-status, data-transport, data-total, data-count, data-seq and the "stale" class. */
  readonly root: HTMLElement;
  /** The big number's box (sized to fit); its text goes into `digits`. */
  readonly total: HTMLElement;
  readonly digits: HTMLElement;
  readonly count?: HTMLElement | null;
  /** Visible status, role="status": announced when it changes (it changes only then). */
  readonly status?: HTMLElement | null;
  /** Visually hidden, aria-live="polite": the total in words, at most every announceEveryMs. */
  readonly announcer?: HTMLElement | null;
}

export interface CounterViewOptions {
  readonly format?: CounterFormat;
  /** Frames per second at most while the number moves (a phone's battery pays for every layout). */
  readonly maxFps?: number;
  readonly announceEveryMs?: number;
  /** Largest font size for the number, from its box (see FitText). */
  readonly maxPx?: (el: HTMLElement) => number;
}

export const statusText: Readonly<Record<Status, string>> = {
  connecting: "연결 중…",
  live: "LIVE",
  stale: "업데이트 지연",
  reconnecting: "다시 연결 중…",
};

export class CounterView {
  private readonly motion: CounterMotion;
  private readonly fit: FitText;
  private readonly format: CounterFormat;
  private readonly minFrameMs: number;
  private readonly reducedMotion: MediaQueryList | undefined;
  private currency = "KRW";
  private frame = 0;
  private lastFrameMs = 0;
  private renderedText = "";
  private announcedTotal: bigint | null = null;
  private lastAnnounceMs = -Infinity;
  private announceTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly announceEveryMs: number;

  constructor(
    private readonly el: CounterElements,
    options: CounterViewOptions = {},
  ) {
    this.format = options.format ?? "full";
    this.minFrameMs = 1000 / (options.maxFps ?? 30);
    this.announceEveryMs = options.announceEveryMs ?? 30_000;
    this.reducedMotion = typeof matchMedia === "function" ? matchMedia("(prefers-reduced-motion: reduce)") : undefined;
    this.motion = new CounterMotion(() => this.reducedMotion?.matches === true || document.hidden);
    this.fit = new FitText(el.total, { maxPx: options.maxPx ?? (() => 160) });
    // Background tabs get no animation frames: show the latest value at once when the tab hides or returns.
    document.addEventListener("visibilitychange", () => {
      this.motion.settle();
      this.render();
    });
  }

  setStatus(status: Status, transport: Transport | undefined): void {
    const { root } = this.el;
    root.dataset.status = status;
    if (transport) root.dataset.transport = transport;
    root.classList.toggle("stale", status !== "live");
    if (this.el.status && this.el.status.textContent !== statusText[status]) this.el.status.textContent = statusText[status];
  }

  show(snapshot: CounterSnapshot, transport: Transport | undefined): void {
    const { root } = this.el;
    const total = BigInt(snapshot.total);
    if (snapshot.currency) this.currency = snapshot.currency;
    root.dataset.total = snapshot.total;
    root.dataset.count = String(snapshot.count);
    root.dataset.seq = String(snapshot.seq);
    if (transport) root.dataset.transport = transport;
    if (this.el.count) this.el.count.textContent = formatCount(snapshot.count);
    const moving = this.motion.setTarget(total, performance.now());
    if (moving) this.requestFrame();
    else {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
      this.render();
    }
    this.scheduleAnnouncement();
  }

  private requestFrame(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame((now) => this.onFrame(now));
  }

  private onFrame(nowMs: number): void {
    this.frame = 0;
    // Bounded frame rate: skip frames that come sooner than minFrameMs after the last one drawn.
    if (nowMs - this.lastFrameMs >= this.minFrameMs - 1) {
      this.lastFrameMs = nowMs;
      this.motion.step(nowMs);
      this.render();
    }
    if (this.motion.moving) this.requestFrame();
  }

  private render(): void {
    const shown = this.motion.shown;
    if (shown === null) return;
    const text = formatAmount(shown, this.currency, this.format);
    if (text === this.renderedText) return;
    this.renderedText = text;
    this.el.digits.textContent = text;
    this.fit.update(shapeOf(text));
  }

  /** The first total at once, then the latest one at most every announceEveryMs, and only when it changed. */
  private scheduleAnnouncement(): void {
    if (!this.el.announcer || this.announceTimer !== undefined) return;
    const waitMs = Math.max(0, this.lastAnnounceMs + this.announceEveryMs - performance.now());
    this.announceTimer = setTimeout(() => {
      this.announceTimer = undefined;
      const target = this.motion.target;
      if (target === null || target === this.announcedTotal || !this.el.announcer) return;
      this.announcedTotal = target;
      this.lastAnnounceMs = performance.now();
      // Words, not digits: a screen reader reads "743억 2,115만 원" better than fifteen digits and commas.
      this.el.announcer.textContent = `누적 결제 금액 ${formatAmount(target, this.currency, "korean")}`;
    }, waitMs);
  }
}
