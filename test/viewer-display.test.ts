// What a shopper sees, in real Chromium against a real broadcaster and Redis: the number on one line at 743억 and 1조
// on a phone, in a sidebar widget and on a board; Korean units; an honest animation (sampled every frame); reduced
// motion; polite announcements; a widget that hostile host CSS cannot restyle. Screenshots go to test-artifacts.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectErrors, launchBrowser, screenshot } from "./support/browser.js";
import { eventually, type Pipeline, sleep, startPipeline } from "./support/pipeline.js";

let p: Pipeline;
let browser: Browser;

beforeAll(async () => {
  p = await startPipeline({ CAMPAIGN: "display" });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await p?.stop();
});

async function currentTotal(): Promise<bigint> {
  return BigInt(((await (await fetch(`${p.base}/v1/total`)).json()) as { total: string }).total);
}

/** Posts payments (each at most 1조, the ingest limit) and waits until the broadcaster's total is `target`. */
async function raiseTotalTo(target: bigint): Promise<void> {
  let left = target - (await currentTotal());
  while (left > 0n) {
    const amount = left > 1_000_000_000_000n ? 1_000_000_000_000n : left;
    await p.post(Number(amount));
    left -= amount;
  }
  await eventually(async () => ((await currentTotal()) === target ? true : undefined), 5000, `total ${target}`);
}

interface Fit {
  text: string;
  lines: number;
  digitsWidth: number;
  boxWidth: number;
  boxOverflows: boolean;
  pageOverflows: boolean;
}

async function fitOf(page: Page): Promise<Fit> {
  return page.evaluate(() => {
    // The counter's digits: on the page, or inside the widget's shadow root.
    const host = document.querySelector(".sales-counter-widget");
    const digits = (host ? host.shadowRoot?.querySelector(".sc-digits") : document.getElementById("digits")) as HTMLElement;
    const box = digits.parentElement as HTMLElement;
    return {
      text: digits.textContent ?? "",
      lines: digits.getClientRects().length,
      digitsWidth: digits.getBoundingClientRect().width,
      boxWidth: box.getBoundingClientRect().width,
      boxOverflows: box.scrollWidth > box.clientWidth + 1,
      pageOverflows: document.documentElement.scrollWidth > window.innerWidth,
    };
  });
}

async function waitForText(page: Page, predicate: string, timeoutMs = 5000): Promise<void> {
  await page.waitForFunction(
    (want) => {
      const host = document.querySelector(".sales-counter-widget");
      const el = host ? host.shadowRoot?.querySelector(".sc-digits") : document.getElementById("digits");
      return el != null && new RegExp(want).test(el.textContent ?? "");
    },
    predicate,
    { timeout: timeoutMs, polling: 50 },
  );
}

const widgetPage = (attributes: string, css = "") =>
  `<!doctype html><html lang="ko"><head><meta charset="utf-8"><style>${css}</style></head><body style="margin:8px">` +
  `<aside style="width:280px"><script src="BASE/widget.js" ${attributes}></script></aside>` +
  "<main><h1>이벤트</h1><p>블랙 프라이데이 특가</p></main></body></html>";

async function openWidget(attributes = 'data-campaign="display"', css = "", width = 1000): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 600 } });
  await page.setContent(widgetPage(attributes, css).replace("BASE", p.base));
  await page.waitForSelector(".sales-counter-widget[data-status=live]", { timeout: 5000 });
  return page;
}

describe("the number at the source case's scale", () => {
  it("stays on one line without overflow at ₩74,300,000,000, ₩74,321,150,000 and ₩1,000,000,000,000: phone, 280 px widget, board, Korean units (억, 만, 조)", async () => {
    await raiseTotalTo(74_300_000_000n);
    const phone = await browser.newPage({ viewport: { width: 360, height: 800 } });
    const errors = collectErrors(phone);
    await phone.goto(`${p.base}/?campaign=display`);
    const korean = await browser.newPage({ viewport: { width: 360, height: 800 } });
    await korean.goto(`${p.base}/?campaign=display&format=korean`);
    const board = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await board.goto(`${p.base}/?campaign=display&mode=board`);
    const desktop = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await desktop.goto(`${p.base}/?campaign=display`);
    const widget = await openWidget();
    const widgetKorean = await openWidget('data-campaign="display" data-format="korean" data-theme="dark" data-accent="#ffd166"');

    for (const [amount, tag, koreanText] of [
      [74_300_000_000n, "74300000000", "^743억 원$"],
      [74_321_150_000n, "74321150000", "^743억 2,115만 원$"],
      [1_000_000_000_000n, "1000000000000", "^1조 원$"],
    ] as const) {
      await raiseTotalTo(amount);
      const full = `^₩${amount.toLocaleString("en-US")}$`;
      for (const page of [phone, board, desktop, widget]) await waitForText(page, full);
      for (const page of [korean, widgetKorean]) await waitForText(page, koreanText);
      for (const page of [phone, korean, board, desktop, widget, widgetKorean]) {
        const fit = await fitOf(page);
        expect(fit.lines, `${fit.text} on one line`).toBe(1);
        expect(fit.digitsWidth).toBeLessThanOrEqual(fit.boxWidth + 0.5);
        expect(fit.boxOverflows).toBe(false);
        expect(fit.pageOverflows).toBe(false);
      }
      expect((await fitOf(widget)).boxWidth).toBeLessThanOrEqual(280);
      // Big-screen mode: the number takes most of the 1920 px width.
      expect((await fitOf(board)).digitsWidth).toBeGreaterThan(1920 * 0.8);
      await screenshot(phone, `viewer-phone-360x800-${tag}`);
      await screenshot(korean, `viewer-phone-360x800-korean-${tag}`);
      await screenshot(board, `viewer-board-1920x1080-${tag}`);
      await screenshot(desktop, `viewer-desktop-1920x1080-${tag}`);
      await screenshot(widget, `widget-sidebar-280-${tag}`);
      await screenshot(widgetKorean, `widget-sidebar-280-dark-korean-${tag}`);
    }
    expect(errors.all).toEqual([]);
    for (const page of [phone, korean, board, desktop, widget, widgetKorean]) await page.close();
  });
});

/** Samples the digits on every animation frame, and records each snapshot total the page received. */
async function instrument(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { samples: string[]; targets: string[]; announcements: string[] };
    w.samples = [];
    w.targets = [];
    w.announcements = [];
    const frame = () => {
      const text = document.getElementById("digits")?.textContent?.replace(/\D/g, "") ?? "";
      if (text !== "") w.samples.push(text);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    document.addEventListener("DOMContentLoaded", () => {
      const root = document.getElementById("counter") as HTMLElement;
      new MutationObserver(() => w.targets.push(root.dataset.total ?? "")).observe(root, {
        attributes: true,
        attributeFilter: ["data-total"],
      });
      const announcer = document.getElementById("announcer") as HTMLElement;
      new MutationObserver(() => w.announcements.push(announcer.textContent ?? "")).observe(announcer, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
  });
}

async function samplesOf(page: Page): Promise<{ samples: bigint[]; targets: Set<string>; announcements: string[] }> {
  const raw = await page.evaluate(() => {
    const w = window as unknown as { samples: string[]; targets: string[]; announcements: string[] };
    return { samples: w.samples, targets: w.targets, announcements: w.announcements };
  });
  return { samples: raw.samples.map(BigInt), targets: new Set(raw.targets), announcements: raw.announcements };
}

async function waitShown(page: Page, total: bigint): Promise<void> {
  await page.waitForFunction(
    (want) => (document.getElementById("digits")?.textContent ?? "").replace(/\D/g, "") === want,
    total.toString(),
    {
      timeout: 5000,
      polling: 20,
    },
  );
}

describe("the animation", () => {
  it("never goes down while payments arrive, goes down exactly once on a refund and never flickers back; announces politely", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await instrument(page);
    await page.goto(`${p.base}/?campaign=display`);
    await page.waitForSelector("#counter[data-status=live]");
    for (let i = 0; i < 6; i++) {
      await p.post(3_000_000 + i * 111_111);
      await sleep(120);
    }
    const afterPayments = await currentTotal();
    await waitShown(page, afterPayments);
    await p.post(5_000_000, { type: "refund" });
    const afterRefund = afterPayments - 5_000_000n;
    await waitShown(page, afterRefund);
    await sleep(800);
    const { samples, targets, announcements } = await samplesOf(page);
    const drops = samples.flatMap((v, i) => (i > 0 && v < (samples[i - 1] as bigint) ? [i] : []));
    expect(drops.length).toBe(1);
    const dropAt = drops[0] as number;
    expect(samples[dropAt]).toBe(afterRefund);
    // After the drop, the old (higher) value is never drawn again.
    expect(samples.slice(dropAt).every((v) => v === afterRefund)).toBe(true);
    // It does glide: frames show values between snapshots, not only the snapshots' totals.
    expect(samples.some((v) => !targets.has(v.toString()))).toBe(true);
    // Seven totals reached the page; the screen reader heard the first one only (the next comes after 30 s).
    expect(announcements.length).toBe(1);
    expect(announcements[0]).toMatch(/^누적 결제 금액 .*원$/);
    expect(await page.evaluate(() => document.getElementById("total")?.closest("[aria-live]") ?? null)).toBeNull();
    expect(await page.getAttribute("#status", "role")).toBe("status");
    await page.close();
  });

  it("jumps without intermediate values when the reader prefers reduced motion", async () => {
    const context = await browser.newContext({ reducedMotion: "reduce", viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await instrument(page);
    await page.goto(`${p.base}/?campaign=display`);
    await page.waitForSelector("#counter[data-status=live]");
    for (let i = 0; i < 4; i++) {
      await p.post(2_000_000 + i * 7);
      await sleep(150);
    }
    await waitShown(page, await currentTotal());
    const { samples, targets } = await samplesOf(page);
    expect(samples.length).toBeGreaterThan(10);
    expect(samples.filter((v) => !targets.has(v.toString()))).toEqual([]);
    await context.close();
  });
});

/** Colours, decoration and fonts of the widget's parts as computed inside its shadow root. */
async function widgetLook(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const root = document.querySelector(".sales-counter-widget")?.shadowRoot as ShadowRoot;
    const out: Record<string, string> = {};
    for (const selector of [".sc-w", ".sc-total", ".sc-digits", ".sc-status", ".sc-count"]) {
      const s = getComputedStyle(root.querySelector(selector) as Element);
      out[selector] = [
        s.color,
        s.backgroundColor,
        s.textDecorationLine,
        s.fontFamily,
        s.fontStyle,
        s.letterSpacing,
        s.display,
        s.visibility,
      ].join(" | ");
    }
    return out;
  });
}

describe("the widget on a host page", () => {
  it("keeps its colours, decoration and size under hostile host CSS, fits a 280 px sidebar, and HEAD /widget.js answers 200", async () => {
    const hostile =
      "*{color:#f0f!important;background-color:#ff0!important;font-family:serif!important;font-style:italic!important;" +
      "text-decoration:line-through wavy red!important;letter-spacing:4px!important;text-transform:uppercase!important;text-shadow:2px 2px #0f0!important}" +
      ".stale,.sc-total,.sc-digits,.sc-status,[data-status]{text-decoration:line-through!important;color:red!important;display:none!important;visibility:hidden!important}" +
      "aside{font-size:40px!important;line-height:3!important}";
    const plain = await openWidget();
    const attacked = await openWidget('data-campaign="display"', hostile);
    expect(await widgetLook(attacked)).toEqual(await widgetLook(plain));
    // What is drawn, pixel for pixel: the counter inside the widget's own background.
    const shot = (page: Page) => page.locator(".sales-counter-widget .sc-counter").screenshot();
    expect(Buffer.compare(await shot(attacked), await shot(plain))).toBe(0);
    const box = await attacked.locator(".sales-counter-widget").boundingBox();
    expect(box?.width).toBe(280);
    const fit = await fitOf(attacked);
    expect(fit.lines).toBe(1);
    expect(fit.digitsWidth).toBeLessThanOrEqual(fit.boxWidth);
    await screenshot(attacked, "widget-sidebar-280-hostile-css");
    await plain.close();
    await attacked.close();

    const head = await fetch(`${p.base}/widget.js`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toContain("text/javascript");
    expect(await head.text()).toBe("");
  });
});
