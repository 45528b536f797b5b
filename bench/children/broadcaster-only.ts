// Child process: the uWS broadcaster alone (no aggregator), for the fanout benchmark, which publishes snapshots itself.
import { startBroadcaster } from "../../broadcaster/server.js";
import { parseConfig } from "../../core/config.js";
import { childReady } from "../lib/child.js";

const config = parseConfig({ ...process.env, BROADCASTER_PORT: process.env.BROADCASTER_PORT ?? "0" });
const broadcaster = await startBroadcaster({ config });
childReady({ port: broadcaster.port }, () => broadcaster.close());
