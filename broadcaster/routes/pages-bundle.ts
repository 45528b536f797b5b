// The browser side of broadcaster/public, built: TypeScript bundled into one minified IIFE per page, CSS minified.
// A build can write these files once (writePageBuild, e.g. from `npm run build` into dist/public/build); when they are
// not there (running from source under tsx), the broadcaster builds them itself at start, in about 0.2 s.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { viewerPageHz } from "../page-rate.js";
import { publicDir } from "./pages-assets.js";

/** Served name → entry (a .ts file of broadcaster/public). */
export const pageScripts: Readonly<Record<string, string>> = {
  "viewer.js": "viewer-page.ts",
  "widget.js": "widget.ts",
  "dashboard.js": "dashboard.ts",
};
export const pageStyles: readonly string[] = ["counter.css", "viewer.css", "dashboard.css"];
/** Where prebuilt files are looked for, beside the sources. */
export const prebuiltDir = join(publicDir, "build");

/** In the built scripts, config values are placeholders that the broadcaster fills in at start (see pages.ts). */
export const staleAfterPlaceholder = "{{STALE_AFTER_MS}}";

/** ES2020 (BigInt, optional chaining): every browser since 2020; container queries degrade to the CSS fallback. */
const targets = ["es2020"];

type Esbuild = typeof import("esbuild");
let loaded: Esbuild | undefined;
/** Loaded only when something is built here: a broadcaster running prebuilt files never needs esbuild. */
function esbuild(): Esbuild {
  loaded ??= createRequire(import.meta.url)("esbuild") as Esbuild;
  return loaded;
}

/** A stylesheet without comments and whitespace. */
export function minifyCss(text: string): string {
  return esbuild().transformSync(text, { loader: "css", minify: true, target: targets, logLevel: "silent" }).code;
}

function readPublic(name: string): string {
  return readFileSync(join(publicDir, name), "utf8");
}

/** Bundles an entry with what it imports; `constants` replace identifiers such as __WIDGET_CSS__. */
export function bundleScript(entry: string, constants: Readonly<Record<string, string>> = {}): Uint8Array {
  const define: Record<string, string> = {};
  for (const [name, value] of Object.entries(constants)) define[name] = JSON.stringify(value);
  const result = esbuild().buildSync({
    entryPoints: [join(publicDir, entry)],
    bundle: true,
    format: "iife",
    minify: true,
    target: targets,
    define,
    charset: "utf8",
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced nothing for ${entry}`);
  return output.contents;
}

/** Every built page file by served name. */
export function buildPages(): Map<string, Uint8Array> {
  const encoder = new TextEncoder();
  const out = new Map<string, Uint8Array>();
  // The widget carries its stylesheet inside (its shadow root has no <link> to the page's origin).
  const widgetCss = minifyCss(`${readPublic("counter.css")}\n${readPublic("widget.css")}`);
  for (const [name, entry] of Object.entries(pageScripts)) {
    const constants = { __WIDGET_CSS__: widgetCss, __STALE_AFTER_MS__: staleAfterPlaceholder, __VIEWER_HZ__: String(viewerPageHz) };
    out.set(name, bundleScript(entry, constants));
  }
  for (const name of pageStyles) out.set(name, encoder.encode(minifyCss(readPublic(name))));
  return out;
}

/** Writes the built files into `dir` (for a production build); returns their names. */
export function writePageBuild(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const pages = buildPages();
  for (const [name, bytes] of pages) writeFileSync(join(dir, name), bytes);
  return [...pages.keys()];
}

/** The prebuilt files in `dir` when all of them are there, else built now. */
export function loadPages(dir = prebuiltDir): Map<string, Uint8Array> {
  const names = [...Object.keys(pageScripts), ...pageStyles];
  if (names.every((name) => existsSync(join(dir, name)))) {
    return new Map(names.map((name) => [name, new Uint8Array(readFileSync(join(dir, name)))]));
  }
  return buildPages();
}
