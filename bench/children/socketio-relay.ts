// Child process: the fanout peer a team would pick instead, Socket.IO 4 with @socket.io/redis-adapter (how Socket.IO
// runs on several nodes: every emit also goes through Redis to the other nodes). It relays every EVERY-th snapshot
// from our Redis channel to every client as one `snapshot` event (the full snapshot or its counter view, as an object).
import { createServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server } from "socket.io";
import { campaignKeys } from "../../core/store/keys.js";
import { childReady } from "../lib/child.js";
import { frameFor } from "../lib/counter-projection.js";

const url = process.env.REDIS_URL ?? "";
const keys = campaignKeys(process.env.CAMPAIGN ?? "blackfriday", 64);
const view = process.env.VIEW ?? "full";
const every = Number(process.env.EVERY ?? "1");
const pub = new Redis(url);
const adapterSub = pub.duplicate();
const feed = new Redis(url);
const http = createServer();
// WebSocket only (the clients do not poll first), no per-message compression: the same frames as every other subject.
const io = new Server(http, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
io.adapter(createAdapter(pub, adapterSub));
const stored = await pub.get(keys.latest);
let latest: unknown = stored === null ? undefined : JSON.parse(frameFor(view, stored));
let received = 0;
io.on("connection", (socket) => {
  if (latest !== undefined) socket.emit("snapshot", latest);
});
await feed.subscribe(keys.snapshots);
feed.on("message", (_channel: string, message: string) => {
  if (++received % every !== 0) return;
  latest = JSON.parse(frameFor(view, message));
  io.emit("snapshot", latest);
});
await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
const address = http.address();
childReady({ port: typeof address === "object" && address ? address.port : 0 }, async () => {
  io.disconnectSockets(true);
  await new Promise((r) => io.close(r));
  for (const client of [pub, adapterSub, feed]) client.disconnect();
});
