// Live snapshot client for the viewer page and widget: WebSocket, then SSE, then ETag polling; backoff with jitter; drops stale seqs.
((global) => {
  const transports = ["ws", "sse", "poll"];
  const baseDelayMs = 500;
  const maxDelayMs = 15000;
  const pollIntervalMs = 1000;
  /** A transport that never delivered a snapshot is given up after this many attempts in a row. */
  const attemptsBeforeFallback = 2;

  /**
   * options: baseUrl (http origin of the broadcaster), campaign, staleAfterMs, onSnapshot(snapshot, transport),
   * onStatus(status, transport) with status "connecting" | "live" | "reconnecting".
   */
  function SalesCounterClient(options) {
    this.baseUrl = (options.baseUrl || global.location.origin).replace(/\/$/, "");
    this.campaign = options.campaign || "";
    this.staleAfterMs = options.staleAfterMs || 5000;
    this.onSnapshot = options.onSnapshot || (() => {});
    this.onStatus = options.onStatus || (() => {});
    /** On a fallback transport, WebSocket is tried again this often (the network that blocked it may be gone). */
    this.upgradeAfterMs = options.upgradeAfterMs || 60000;
    this.upgradeTimer = null;
    this.index = 0;
    this.failedAttempts = 0;
    this.retry = 0;
    this.delivered = {};
    this.last = null;
    this.status = "";
    this.generation = 0;
    this.cleanup = null;
    this.timer = null;
    this.watchdog = null;
    this.stopped = false;
  }

  SalesCounterClient.prototype.url = function (path, scheme) {
    const query = this.campaign ? `?campaign=${encodeURIComponent(this.campaign)}` : "";
    const base = scheme === "ws" ? this.baseUrl.replace(/^http/, "ws") : this.baseUrl;
    return base + path + query;
  };

  SalesCounterClient.prototype.setStatus = function (status) {
    if (status === this.status) return;
    this.status = status;
    this.onStatus(status, transports[this.index]);
  };

  SalesCounterClient.prototype.start = function () {
    this.stopped = false;
    this.setStatus("connecting");
    this.connect();
    return this;
  };

  SalesCounterClient.prototype.stop = function () {
    this.stopped = true;
    clearTimeout(this.upgradeTimer);
    this.teardown();
  };

  SalesCounterClient.prototype.teardown = function () {
    this.generation++;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    if (this.cleanup) this.cleanup();
    this.cleanup = null;
  };

  /** No snapshot (or 304) for staleAfterMs: the number on screen is not live any more. */
  SalesCounterClient.prototype.armWatchdog = function (generation) {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.lost(generation);
    }, this.staleAfterMs);
  };

  SalesCounterClient.prototype.connect = function () {
    if (this.stopped) return;
    const generation = ++this.generation;
    const kind = transports[this.index];
    this.armWatchdog(generation);
    if (kind === "ws") this.cleanup = this.openWebSocket(generation);
    else if (kind === "sse") this.cleanup = this.openEventSource(generation);
    else this.cleanup = this.startPolling(generation);
  };

  SalesCounterClient.prototype.alive = function (generation) {
    if (generation !== this.generation) return false;
    this.armWatchdog(generation);
    return true;
  };

  SalesCounterClient.prototype.receive = function (generation, text) {
    if (!this.alive(generation)) return;
    let snapshot;
    try {
      snapshot = JSON.parse(text);
    } catch (_err) {
      return;
    }
    if (!snapshot || typeof snapshot.total !== "string" || typeof snapshot.seq !== "number") return;
    const kind = transports[this.index];
    this.delivered[kind] = true;
    this.failedAttempts = 0;
    this.retry = 0;
    this.setStatus("live");
    // A lower (or repeated) seq in the same epoch is a late delivery: never show an older number.
    const last = this.last;
    if (last && last.epoch === snapshot.epoch && snapshot.seq <= last.seq) return;
    this.last = snapshot;
    this.onSnapshot(snapshot, kind);
  };

  /** The current transport failed or went quiet: fall back if it never worked, else retry it with backoff. */
  SalesCounterClient.prototype.lost = function (generation) {
    if (generation !== this.generation || this.stopped) return;
    const kind = transports[this.index];
    this.teardown();
    this.setStatus("reconnecting");
    if (!this.delivered[kind] && ++this.failedAttempts >= attemptsBeforeFallback && this.index < transports.length - 1) {
      this.index++;
      this.scheduleUpgrade();
      this.failedAttempts = 0;
      this.retry = 0;
      this.connect();
      return;
    }
    // Exponential backoff with full jitter, so a restarted server is not hit by every viewer at once.
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** this.retry);
    const delayMs = baseDelayMs / 2 + Math.random() * (ceiling - baseDelayMs / 2);
    this.retry = Math.min(this.retry + 1, 10);
    this.timer = setTimeout(() => {
      this.connect();
    }, delayMs);
  };

  /** Probes WebSocket beside the fallback; the first snapshot it delivers switches the client back to it. */
  SalesCounterClient.prototype.scheduleUpgrade = function () {
    clearTimeout(this.upgradeTimer);
    if (this.index === 0 || this.stopped) return;
    this.upgradeTimer = setTimeout(() => {
      const ws = new WebSocket(this.url("/v1/live", "ws"));
      const done = () => {
        ws.onmessage = ws.onclose = ws.onerror = null;
        ws.close();
      };
      ws.onmessage = () => {
        done();
        if (this.stopped || this.index === 0) return;
        this.teardown();
        this.index = 0;
        this.failedAttempts = 0;
        this.retry = 0;
        this.connect();
      };
      ws.onclose = ws.onerror = () => {
        done();
        this.scheduleUpgrade();
      };
    }, this.upgradeAfterMs);
  };

  SalesCounterClient.prototype.openWebSocket = function (generation) {
    const ws = new WebSocket(this.url("/v1/live", "ws"));
    ws.onmessage = (event) => {
      this.receive(generation, event.data);
    };
    ws.onclose = () => {
      this.lost(generation);
    };
    ws.onerror = () => {
      this.lost(generation);
    };
    return () => {
      ws.onmessage = ws.onclose = ws.onerror = null;
      ws.close();
    };
  };

  SalesCounterClient.prototype.openEventSource = function (generation) {
    const source = new EventSource(this.url("/v1/stream"));
    source.onmessage = (event) => {
      this.receive(generation, event.data);
    };
    // EventSource would retry on its own; we close it so one backoff policy governs every transport.
    source.onerror = () => {
      this.lost(generation);
    };
    return () => {
      source.onmessage = source.onerror = null;
      source.close();
    };
  };

  SalesCounterClient.prototype.startPolling = function (generation) {
    const self = this;
    let etag = null;
    let timer = null;
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    function poll() {
      const headers = etag ? { "If-None-Match": etag } : {};
      fetch(self.url("/v1/total"), { headers: headers, cache: "no-store", signal: controller ? controller.signal : undefined })
        .then((res) => {
          if (res.status === 304) return self.alive(generation) ? null : undefined;
          if (!res.ok) throw new Error(`GET /v1/total answered ${res.status}`);
          etag = res.headers.get("ETag");
          return res.text().then((text) => {
            self.receive(generation, text);
          });
        })
        .then(
          () => {
            if (generation === self.generation) timer = setTimeout(poll, pollIntervalMs);
          },
          () => {
            self.lost(generation);
          },
        );
    }
    poll();
    return () => {
      clearTimeout(timer);
      if (controller) controller.abort();
    };
  };

  global.SalesCounterClient = SalesCounterClient;
})(typeof window !== "undefined" ? window : globalThis);
