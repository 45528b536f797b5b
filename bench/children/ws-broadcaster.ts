// Child process: the fanout baseline, a plain `ws` server that relays every snapshot from Redis pub/sub to all sockets.
import { Redis } from "ioredis";
import { WebSocketServer } from "ws";
import { campaignKeys } from "../../core/store/keys.js";
import { childReady } from "../lib/child.js";

const keys = campaignKeys(process.env.CAMPAIGN ?? "blackfriday", 64);
const redis = new Redis(process.env.REDIS_URL ?? "");
const sub = new Redis(process.env.REDIS_URL ?? "");
let latest = (await redis.get(keys.latest)) ?? "";
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/v1/live", perMessageDeflate: false });
const listening = new Promise<void>((resolve) => wss.once("listening", () => resolve()));
wss.on("connection", (ws) => {
  if (latest !== "") ws.send(latest);
});
await sub.subscribe(keys.snapshots);
sub.on("message", (_channel: string, message: string) => {
  latest = message;
  for (const ws of wss.clients) ws.send(message);
});
await listening;
const address = wss.address();
childReady({ port: typeof address === "object" && address ? address.port : 0 }, async () => {
  for (const ws of wss.clients) ws.terminate();
  await new Promise((r) => wss.close(r));
  redis.disconnect();
  sub.disconnect();
});
