// Sizes the number to its container: one line whatever the width (360 px phone, 280 px sidebar, 1920 px board).
//
// Measuring on every frame would cost a layout each; instead the width of a text at a reference size is measured once
// per shape (digits replaced by 0: tabular figures make every digit as wide) and the font size is derived from it.

const referencePx = 100;

export interface FitOptions {
  /** Largest font size in px for a given container (e.g. a share of the viewport height on a board). */
  readonly maxPx: (container: HTMLElement) => number;
  readonly minPx?: number;
  /** Share of the container width the number may take (the rest is breathing room). */
  readonly fill?: number;
}

export class FitText {
  private readonly widths = new Map<string, number>();
  private readonly probe: HTMLSpanElement;
  private shape = "";
  private appliedPx = 0;

  constructor(
    private readonly el: HTMLElement,
    private readonly options: FitOptions,
  ) {
    this.probe = document.createElement("span");
    this.probe.setAttribute("aria-hidden", "true");
    // Same font as the number (inherits from it), out of the flow, never visible.
    this.probe.style.cssText = `position:absolute;left:0;top:0;visibility:hidden;white-space:nowrap;pointer-events:none;font-size:${referencePx}px`;
    el.appendChild(this.probe);
    if (typeof ResizeObserver === "function") new ResizeObserver(() => this.refit()).observe(el);
    // Web fonts change widths once loaded: measure again then.
    document.fonts?.ready.then(() => {
      this.widths.clear();
      this.refit();
    });
  }

  /** Call with the text's shape (see shapeOf) each time the text changes; cheap when the shape is unchanged. */
  update(shape: string): void {
    if (shape === this.shape) return;
    this.shape = shape;
    this.refit();
  }

  private widthOf(shape: string): number {
    let width = this.widths.get(shape);
    if (width === undefined) {
      this.probe.textContent = shape;
      width = this.probe.getBoundingClientRect().width;
      this.probe.textContent = "";
      if (width > 0) this.widths.set(shape, width);
    }
    return width;
  }

  private refit(): void {
    const available = this.el.clientWidth;
    if (available <= 0 || this.shape === "") return;
    const width = this.widthOf(this.shape);
    if (width <= 0) return;
    const fill = this.options.fill ?? 0.96;
    const fitted = (available * fill * referencePx) / width;
    const px = Math.max(this.options.minPx ?? 8, Math.min(this.options.maxPx(this.el), fitted));
    const rounded = Math.floor(px * 10) / 10;
    if (rounded === this.appliedPx) return;
    this.appliedPx = rounded;
    this.el.style.fontSize = `${rounded}px`;
  }
}
