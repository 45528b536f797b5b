// Builds the browser scripts of broadcaster/public once at start: TypeScript bundled into one minified IIFE per page.

import { join } from "node:path";
import { buildSync, transformSync } from "esbuild";
import { publicDir } from "./pages-assets.js";

/** ES2020 (BigInt, optional chaining): every browser since 2020; container queries degrade to the CSS fallback. */
const targets = ["es2020"];

/**
 * Bundles `entry` (a .ts file of broadcaster/public) with what it imports. `constants`
 * replace identifiers such as __STALE_AFTER_MS__ (values from config, so the script needs no extra request).
 */
export function bundleScript(entry: string, constants: Readonly<Record<string, string | number>> = {}): Uint8Array {
  const define: Record<string, string> = {};
  for (const [name, value] of Object.entries(constants)) define[name] = JSON.stringify(value);
  const result = buildSync({
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

/** A stylesheet without comments and whitespace (the same engine, so what browsers parse is what was written). */
export function minifyCss(text: string): string {
  return transformSync(text, { loader: "css", minify: true, target: targets, logLevel: "silent" }).code;
}
