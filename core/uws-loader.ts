// Picks the uWebSockets.js build for this Node: the pinned package's native binary, else @btc-vision/uwebsockets.js's, else the pinned package's JS fallback.

import type * as Uws from "uWebSockets.js";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The pinned package (`uWebSockets.js` = @trufflesuite/uws-js-unofficial 20.30): binaries up to Node 20 (ABI 115), and a JS fallback. */
const pinned = "uWebSockets.js";
/**
 * A republish of uWebSockets.js 20.57 with binaries for ABI 115/127/137/141 (Node 20/22/24/25) built against glibc 2.38, and no
 * fallback: its uws.js throws when no binary loads (another ABI, an older glibc such as Debian bookworm's 2.36, musl).
 */
const modern = "@btc-vision/uwebsockets.js";

export type UwsTransport = "native" | "fallback";

export interface UwsLoad {
  readonly uws: typeof Uws;
  /** "native" when a uWS binary loaded; "fallback" for the pinned package's JS emulation (no WebSocket). */
  readonly transport: UwsTransport;
  /** `<package name>@<version>` of the build in use, as reported in /healthz. */
  readonly package: string;
  /** Why each build tried before this one was not used (empty when the first choice loaded). */
  readonly skipped: readonly string[];
}

/** `<name>@<version>` from the package.json above a package's resolved entry file. */
function packageLabel(entry: string): string {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const { name, version } = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (name !== undefined) return `${name}@${version ?? "?"}`;
  }
  return entry;
}

/** The native module exports getParts (multipart parsing); the pinned package's JS fallback does not. */
function isNative(module: unknown): boolean {
  return typeof (module as { getParts?: unknown } | null)?.getParts === "function";
}

/** The values the pinned package's uws.js reads as "use the fallback". */
function fallbackForced(): boolean {
  return ["true", "True", "TRUE", "1"].includes(process.env.UWS_USE_FALLBACK ?? "");
}

/** The binary name both packages look for: uws_<platform>_<arch>_<ABI>.node. */
export function binaryName(): string {
  return `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

/** The last line of a load error: the dynamic linker's or require's own reason, without the package's preamble. */
function reasonOf(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === "MODULE_NOT_FOUND") return "not installed";
  const lines = String((err as Error).message ?? err)
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? "failed to load").replace(/^Error: /, "");
}

/**
 * Loads uWS once per process. The pinned package comes first, so a Node it has a binary for (20 on this machine) keeps
 * exactly today's build. Its binary is looked for before requiring it, because requiring it without one prints a warning and
 * returns the fallback. UWS_USE_FALLBACK=1 selects the fallback as the pinned package documents.
 */
export function loadUws(): UwsLoad {
  const pinnedLabel = packageLabel(require.resolve(pinned));
  if (fallbackForced())
    return { uws: require(pinned), transport: "fallback", package: pinnedLabel, skipped: ["UWS_USE_FALLBACK asks for the JS fallback"] };

  const skipped: string[] = [];
  const pinnedBinary = join(dirname(require.resolve(`${pinned}/package.json`)), "binaries", binaryName());
  let pinnedModule: typeof Uws | undefined;
  if (existsSync(pinnedBinary)) {
    pinnedModule = require(pinned) as typeof Uws;
    if (isNative(pinnedModule)) return { uws: pinnedModule, transport: "native", package: pinnedLabel, skipped };
    skipped.push(`${pinnedLabel}: its ${binaryName()} did not load`);
  } else skipped.push(`${pinnedLabel}: no ${binaryName()}`);

  let label = modern;
  try {
    label = packageLabel(require.resolve(modern));
    const module = require(modern) as typeof Uws;
    if (isNative(module)) return { uws: module, transport: "native", package: label, skipped };
    skipped.push(`${label}: not a native build`);
  } catch (err) {
    skipped.push(`${label}: ${reasonOf(err)}`);
  }

  return { uws: pinnedModule ?? (require(pinned) as typeof Uws), transport: "fallback", package: pinnedLabel, skipped };
}
