// Live snapshot client for the viewer page, widget and dashboard: WebSocket, then SSE, then ETag polling.
//
// Freshness is judged by the snapshots themselves (a newer seq or epoch, or a recent `at`), never by bytes arriving: a
// broadcaster re-sending its cached snapshot while the pipeline is stalled keeps the number "stale", and neither
// re-arms the watchdog nor resets the backoff. A stalled pipeline keeps the connection (reconnecting would not help)
// and only resyncs now and then, with a growing jittered delay. A transport falls back when it is refused or silent
// while the server still answers a GET (so a server that is down does not push every viewer onto polling).

import { failuresBeforeFallback, reconnectDelayMs, resyncDelayMs, shortLivedMs } from "./counter-backoff.js";
import { type CounterSnapshot, parseFrame, SnapshotOrder } from "./counter-snapshot.js";
import {
  type Closer,
  fetchOnce,
  openEventSource,
  openWebSocket,
  probeWebSocket,
  startPolling,
  type TransportHandlers,
  TransportUnavailable,
} from "./counter-transports.js";

export type Transport = "ws" | "sse" | "poll";
/** live: fresh snapshots arrive; stale: connected but the pipeline is not advancing; (re)connecting: no transport. */
export type Status = "connecting" | "live" | "stale" | "reconnecting";

const transports: readonly Transport[] = ["ws", "sse", "poll"];

export interface ClientOptions<T extends CounterSnapshot> {
  /** http(s) origin of the broadcaster; the page's own by default. */
  readonly baseUrl?: string;
  readonly campaign?: string;
  /** Extra query parameters of every transport, e.g. { view: "counter", hz: 2 }. */
  readonly params?: Readonly<Record<string, string | number | undefined>>;
  /** No newer snapshot for this long: the number is stale (a few missed heartbeats). */
  readonly staleAfterMs?: number;
  readonly onSnapshot?: (snapshot: T, transport: Transport | undefined) => void;
  readonly onStatus?: (status: Status, transport: Transport) => void;
}

interface Connection {
  readonly generation: number;
  readonly kind: Transport;
  readonly openedMs: number;
  frames: number;
  readonly close: Closer;
}

type Timer = ReturnType<typeof setTimeout> | undefined;

export class SalesCounterClient<T extends CounterSnapshot = CounterSnapshot> {
  staleAfterMs: number;
  /** On a fallback transport, WebSocket is probed again this often (the network that blocked it may be gone). */
  upgradeAfterMs = 60_000;
  /** A connection that delivered nothing for this long is silent (e.g. a proxy that accepts and never forwards). */
  firstDeliveryMs = 2_500;
  /** Until a streaming transport delivers, one GET shows the number after this long. */
  bridgeAfterMs = 800;
  pollIntervalMs = 1_000;
  index = 0;
  generation = 0;
  status: Status | "" = "";
  readonly order = new SnapshotOrder<T>();
  private readonly baseUrl: string;
  private conn: Connection | undefined;
  private retry = 0;
  private staleRetry = 0;
  private failures = 0;
  private lastProgressMs = -Infinity;
  private everDelivered = false;
  private stopped = true;
  private readonly unavailable = new Set<Transport>();
  private readonly timers: Partial<Record<"reconnect" | "first" | "bridge" | "stale" | "resync" | "upgrade", Timer>> = {};

  constructor(private readonly options: ClientOptions<T> = {}) {
    this.baseUrl = (options.baseUrl ?? location.origin).replace(/\/$/, "");
    this.staleAfterMs = options.staleAfterMs ?? 5000;
  }

  /** The latest snapshot shown (never an older one than before). */
  get last(): T | undefined {
    return this.order.latest;
  }

  get transport(): Transport {
    return transports[this.index] ?? "poll";
  }

  /** One place builds every transport's query: campaign, then the view and rate parameters. */
  url(path: string, scheme: "http" | "ws" = "http"): string {
    const query = new URLSearchParams();
    if (this.options.campaign) query.set("campaign", this.options.campaign);
    for (const [name, value] of Object.entries(this.options.params ?? {}))
      if (value !== undefined && value !== "") query.set(name, String(value));
    const text = query.toString();
    const base = scheme === "ws" ? this.baseUrl.replace(/^http/, "ws") : this.baseUrl;
    return `${base}${path}${text ? `?${text}` : ""}`;
  }

  start(): this {
    this.stopped = false;
    this.evaluate();
    this.connect();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.teardown();
    for (const name of Object.keys(this.timers) as Array<keyof typeof this.timers>) clearTimeout(this.timers[name]);
  }

  /** A frame from the connection of `generation`; frames of a closed connection are ignored. */
  receive(generation: number, text: string): void {
    const conn = this.conn;
    if (generation !== this.generation || !conn) return;
    const snapshot = parseFrame<T>(text);
    if (!snapshot) return;
    conn.frames++;
    this.everDelivered = true;
    clearTimeout(this.timers.first);
    if (this.take(snapshot, conn.kind)) {
      // Progress seen through the transport itself: it works, start every backoff from scratch.
      this.retry = 0;
      this.staleRetry = 0;
      this.failures = 0;
      clearTimeout(this.timers.resync);
      this.timers.resync = undefined;
    }
    this.evaluate();
  }

  /** Shows a snapshot if it is newer; true when it shows the pipeline advancing. */
  private take(snapshot: T, source: Transport | undefined): boolean {
    const first = this.order.latest === undefined;
    if (!this.order.accept(snapshot)) return false;
    this.options.onSnapshot?.(snapshot, source);
    // A newer snapshot is progress. The very first one is, if its own time is recent (else it may be a stalled cache).
    const ageMs = Date.now() - Date.parse(snapshot.at);
    if (first && !(ageMs < this.staleAfterMs)) return false;
    this.lastProgressMs = Date.now();
    return true;
  }

  /** Status from the snapshots' progress and the connection; arms the one staleness timer. */
  private evaluate(): void {
    if (this.stopped) return;
    const conn = this.conn;
    const delivered = conn !== undefined && conn.frames > 0;
    const freshForMs = this.lastProgressMs + this.staleAfterMs - Date.now();
    const status: Status = delivered ? (freshForMs > 0 ? "live" : "stale") : this.everDelivered ? "reconnecting" : "connecting";
    clearTimeout(this.timers.stale);
    if (status === "live") this.timers.stale = setTimeout(() => this.evaluate(), freshForMs + 1);
    if (status === "stale") this.scheduleResync();
    if (status !== this.status) {
      this.status = status;
      this.options.onStatus?.(status, this.transport);
    }
  }

  private connect(): void {
    if (this.stopped) return;
    clearTimeout(this.timers.reconnect);
    this.teardown();
    const generation = ++this.generation;
    const kind = this.transport;
    const handlers: TransportHandlers = {
      frame: (text) => this.receive(generation, text),
      unchanged: () => {
        if (generation !== this.generation || !this.conn) return;
        this.conn.frames++;
        clearTimeout(this.timers.first);
        this.evaluate();
      },
      fail: () => this.failed(generation, "closed"),
    };
    let close: Closer;
    try {
      if (kind === "ws") close = openWebSocket(this.url("/v1/live", "ws"), handlers);
      else if (kind === "sse") close = openEventSource(this.url("/v1/stream"), handlers);
      else close = startPolling(this.url("/v1/total"), () => this.pollIntervalMs, handlers);
    } catch (err) {
      if (!(err instanceof TransportUnavailable)) throw err;
      this.unavailable.add(kind);
      this.fallBack();
      return;
    }
    const conn: Connection = { generation, kind, openedMs: Date.now(), frames: 0, close };
    this.conn = conn;
    this.timers.first = setTimeout(() => {
      if (conn.frames === 0) this.failed(generation, "silent");
    }, this.firstDeliveryMs);
    if (kind !== "poll") {
      this.timers.bridge = setTimeout(() => {
        if (conn.frames === 0 && generation === this.generation && this.status !== "live") void this.bridge();
      }, this.bridgeAfterMs);
    }
    this.evaluate();
  }

  private teardown(): void {
    this.generation++;
    for (const name of ["first", "bridge", "stale", "resync"] as const) {
      clearTimeout(this.timers[name]);
      this.timers[name] = undefined;
    }
    this.conn?.close();
    this.conn = undefined;
  }

  /** One GET of the total: shows it if newer, and says whether the server answers at all. */
  private async bridge(): Promise<Awaited<ReturnType<typeof fetchOnce>>> {
    const answer = await fetchOnce(this.url("/v1/total"), this.firstDeliveryMs);
    if (answer.reachable && answer.status === 200 && !this.stopped) {
      const snapshot = parseFrame<T>(answer.text);
      if (snapshot) this.take(snapshot, undefined);
      this.evaluate();
    }
    return answer;
  }

  /** The connection closed, errored or stayed silent: retry it, or fall back when the transport (not the server) fails. */
  private failed(generation: number, reason: "closed" | "silent"): void {
    const conn = this.conn;
    if (generation !== this.generation || this.stopped || !conn) return;
    this.teardown();
    this.evaluate();
    const suspicious = reason === "silent" || conn.frames === 0 || Date.now() - conn.openedMs < shortLivedMs;
    if (!suspicious || conn.kind === "poll") {
      this.scheduleReconnect();
      return;
    }
    const settled = this.generation;
    void this.bridge().then((answer) => {
      if (this.stopped || this.generation !== settled) return;
      // The server does not answer either: it is down or restarting, which another transport would not fix.
      if (!answer.reachable) {
        this.scheduleReconnect();
        return;
      }
      this.failures++;
      if (reason === "silent" || this.failures >= failuresBeforeFallback) this.fallBack();
      else this.scheduleReconnect();
    });
  }

  private fallBack(): void {
    let next = this.index + 1;
    while (next < transports.length && this.unavailable.has(transports[next] as Transport)) next++;
    if (next >= transports.length) {
      this.scheduleReconnect();
      return;
    }
    this.index = next;
    this.failures = 0;
    this.retry = 0;
    this.scheduleUpgrade();
    this.connect();
  }

  /** Exponential backoff with jitter (0.25 s up to 15 s); reset only by progress seen on a transport. */
  private scheduleReconnect(): void {
    clearTimeout(this.timers.reconnect);
    const delayMs = reconnectDelayMs(this.retry);
    this.retry = Math.min(this.retry + 1, 10);
    this.timers.reconnect = setTimeout(() => this.connect(), delayMs);
  }

  /** Stale on a working connection: reconnect now and then in case another broadcaster is fresh, ever more rarely. */
  private scheduleResync(): void {
    if (this.timers.resync !== undefined || this.transport === "poll") return;
    const delayMs = resyncDelayMs(this.staleRetry);
    this.staleRetry = Math.min(this.staleRetry + 1, 10);
    this.timers.resync = setTimeout(() => {
      this.timers.resync = undefined;
      if (this.status === "stale" && !this.stopped) this.connect();
    }, delayMs);
  }

  /** Probes WebSocket beside a fallback; the first snapshot it delivers switches the client back to it. */
  scheduleUpgrade(): void {
    clearTimeout(this.timers.upgrade);
    if (this.index === 0 || this.stopped || this.unavailable.has("ws")) return;
    this.timers.upgrade = setTimeout(() => {
      const probing = probeWebSocket(this.url("/v1/live", "ws"), (delivered) => {
        if (!delivered) return this.scheduleUpgrade();
        if (this.stopped || this.index === 0) return;
        this.index = 0;
        this.failures = 0;
        this.retry = 0;
        this.connect();
      });
      if (!probing) this.unavailable.add("ws");
    }, this.upgradeAfterMs);
  }
}
