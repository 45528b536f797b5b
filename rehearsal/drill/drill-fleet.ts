// The fleet as the drill sees it: its entry point, its Prometheus, its Redis Cluster, its components by kind and the
// processes behind them; started by the drill itself (rehearsal/fleet.ts) or attached through `npm run fleet`'s control
// API (remote-fleet.ts), where the fleet's demo traffic keeps flowing and is paused only for the finance check.
import type { DemoEvent } from "../../scripts/demo-traffic.js";
import type { Component } from "../fleet.js";
import type { ControlledProcess } from "../processes.js";
import type { FleetRedisCluster } from "../redis-cluster.js";

export interface DrillComponent {
  readonly name: string;
  readonly kind: Component["kind"];
  /** Its own HTTP address (health, metrics), bypassing HAProxy. */
  readonly url: string;
  readonly process: ControlledProcess;
}

export interface FleetDemo {
  /** Stops new demo payments, waits until every one sent is acknowledged, and returns them all (its export). */
  pause(): Promise<DemoEvent[]>;
  resume(): Promise<void>;
}

export interface DrillFleet {
  readonly url: string;
  readonly prometheusUrl: string;
  readonly campaign: string;
  readonly shards: number;
  readonly redis: FleetRedisCluster;
  byKind(kind: Component["kind"]): DrillComponent[];
  /** The fleet's own demo traffic, when it runs: part of the total the finance check must account for. */
  readonly demo?: FleetDemo;
}
