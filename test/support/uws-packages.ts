// The two uWebSockets.js builds as package.json pins them, labelled `<name>@<version>` as /healthz reports them.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};

/** `uWebSockets.js` = npm:@trufflesuite/uws-js-unofficial@…: binaries up to Node 20, and the JS fallback. */
export const pinnedUws = pkg.dependencies["uWebSockets.js"]!.replace(/^npm:/, "");
/** @btc-vision/uwebsockets.js: binaries for Node 20/22/24/25 that need glibc >= 2.38. */
export const modernUws = `@btc-vision/uwebsockets.js@${pkg.dependencies["@btc-vision/uwebsockets.js"]}`;
