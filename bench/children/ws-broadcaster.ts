// Child process: the fanout baseline, a plain `ws` server that relays every EVERY-th snapshot from Redis pub/sub to all
// sockets, as the full snapshot or its counter view (VIEW), built once per snapshot.
import { Redis } from "ioredis";
import { WebSocketServer } from "ws";
import { campaignKeys } from "../../core/store/keys.js";
import { childReady } from "../lib/child.js";
import { frameFor } from "../lib/counter-projection.js";

const keys = campaignKeys(process.env.CAMPAIGN ?? "blackfriday", 64);
const view = process.env.VIEW ?? "full";
const every = Number(process.env.EVERY ?? "1");
const redis = new Redis(process.env.REDIS_URL ?? "");
const sub = new Redis(process.env.REDIS_URL ?? "");
const stored = await redis.get(keys.latest);
let latest = stored === null ? "" : frameFor(view, stored);
let received = 0;
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/v1/live", perMessageDeflate: false });
const listening = new Promise<void>((resolve) => wss.once("listening", () => resolve()));
wss.on("connection", (ws) => {
  if (latest !== "") ws.send(latest);
});
await sub.subscribe(keys.snapshots);
sub.on("message", (_channel: string, message: string) => {
  if (++received % every !== 0) return;
  latest = frameFor(view, message);
  for (const ws of wss.clients) ws.send(latest);
});
await listening;
const address = wss.address();
childReady({ port: typeof address === "object" && address ? address.port : 0 }, async () => {
  for (const ws of wss.clients) ws.terminate();
  await new Promise((r) => wss.close(r));
  redis.disconnect();
  sub.disconnect();
});
