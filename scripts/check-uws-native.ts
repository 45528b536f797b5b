// Image build guard (`node dist/check-uws-native.js`): fails when no uWebSockets.js build has a native binary that loads on this
// Node and C library, because our servers then run on the pinned package's slow JS emulation without WebSockets (`/v1/live`
// answers 501), which is not what a sale should discover. ALLOW_UWS_FALLBACK=1 accepts the fallback knowingly.
import { uwsLoad } from "../core/uws-http.js";

const where = `Node ${process.version} (${process.platform}-${process.arch}, ABI ${process.versions.modules})`;
const tried = uwsLoad.skipped.length === 0 ? "" : ` Not used: ${uwsLoad.skipped.join("; ")}.`;

if (uwsLoad.transport === "native") {
  process.stdout.write(`uWebSockets.js: native binary of ${uwsLoad.package} for ${where}.${tried}\n`);
} else {
  const message =
    `uWebSockets.js has no native binary that loads on ${where}: the broadcaster would run on the JS fallback of ${uwsLoad.package} ` +
    `without WebSockets.${tried} Build on a base image with glibc >= 2.38 (the default node:22-trixie-slim), or on Node 20 ` +
    "(--build-arg NODE_VERSION=20), or accept the fallback with --build-arg ALLOW_UWS_FALLBACK=1 (docs/deploy.md).";
  if (process.env.ALLOW_UWS_FALLBACK === "1") process.stdout.write(`warning: ${message}\n`);
  else {
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
}
