// Launches Debian's Chromium through playwright-core (never a downloaded browser) and collects page errors for assertions.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const artifactsDir = join(process.cwd(), "test-artifacts");
/** Screenshots of the pages at each size, for a person to look at (gitignored). */
export const screenshotsDir = join(artifactsDir, "screenshots");

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Network failures the browser logs while a server is down on purpose; everything else counts as an error. */
const expectedWhileDown = /WebSocket connection to .* failed|Failed to load resource|net::ERR_/;

export interface PageErrors {
  /** Console errors and uncaught exceptions. */
  readonly all: string[];
  /** The same without the network errors a deliberately stopped server causes. */
  unexpected(): string[];
}

export function collectErrors(page: Page): PageErrors {
  const all: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") all.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => all.push(`pageerror: ${err.message}`));
  return { all, unexpected: () => all.filter((e) => !(e.startsWith("console:") && expectedWhileDown.test(e))) };
}

/** Saves test-artifacts/screenshots/<name>.png (the whole page) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotsDir, { recursive: true });
  const path = join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
