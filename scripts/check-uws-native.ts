// Image build guard (`node dist/check-uws-native.js`): fails when uWebSockets.js has no native binary for this Node, because
// the package then falls back silently to a slow JS emulation without WebSockets (`/v1/live` answers 501), which is
// not what a sale should discover. ALLOW_UWS_FALLBACK=1 accepts the fallback knowingly.
import { uwsTransport } from "../core/uws-http.js";

if (uwsTransport === "native") {
  process.stdout.write(
    `uWebSockets.js: native binary for Node ${process.version} (${process.platform}-${process.arch}, ABI ${process.versions.modules})\n`,
  );
} else {
  const message =
    `uWebSockets.js has no native binary for Node ${process.version} (${process.platform}-${process.arch}, ABI ${process.versions.modules}): ` +
    "the broadcaster would run on the JS fallback without WebSockets. Build on a Node the package ships a binary for " +
    "(--build-arg NODE_VERSION=20), move to a uWebSockets.js build with this ABI, or accept the fallback with --build-arg ALLOW_UWS_FALLBACK=1.";
  if (process.env.ALLOW_UWS_FALLBACK === "1") process.stdout.write(`warning: ${message}\n`);
  else {
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
}
