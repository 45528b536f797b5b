// The three ways a viewer receives snapshots (WebSocket, Server-Sent Events, ETag polling) behind one small interface.

export interface TransportHandlers {
  /** A message arrived (a snapshot's JSON, normally). */
  frame(text: string): void;
  /** The server answered without a new body (a 304 to a poll): the path works, the number did not change. */
  unchanged(): void;
  /** The connection closed, errored or a poll failed. */
  fail(): void;
}

/** Closes a transport quietly: no handler runs after it. */
export type Closer = () => void;

export class TransportUnavailable extends Error {}

export function openWebSocket(url: string, h: TransportHandlers): Closer {
  // Absent (old browsers, locked-down webviews) or refused by the page (ws:// from an https page throws SecurityError).
  if (typeof WebSocket !== "function") throw new TransportUnavailable("WebSocket is not available");
  let ws: WebSocket;
  try {
    ws = new WebSocket(url);
  } catch (err) {
    throw new TransportUnavailable(String(err));
  }
  ws.onmessage = (event) => {
    if (typeof event.data === "string") h.frame(event.data);
  };
  ws.onclose = () => h.fail();
  ws.onerror = () => h.fail();
  return () => {
    ws.onmessage = ws.onclose = ws.onerror = null;
    ws.close();
  };
}

/**
 * Opens a WebSocket only to see whether it delivers a snapshot now; `done(true)` on the first JSON frame, `done(false)`
 * when it closes or errors first. False when WebSocket cannot be opened here at all.
 */
export function probeWebSocket(url: string, done: (delivered: boolean) => void): boolean {
  let close: Closer | undefined;
  let settled = false;
  const settle = (delivered: boolean) => {
    if (settled) return;
    settled = true;
    close?.();
    done(delivered);
  };
  try {
    close = openWebSocket(url, {
      frame: (text) => settle(text.startsWith("{")),
      unchanged: () => undefined,
      fail: () => settle(false),
    });
    return true;
  } catch {
    return false;
  }
}

export function openEventSource(url: string, h: TransportHandlers): Closer {
  if (typeof EventSource !== "function") throw new TransportUnavailable("EventSource is not available");
  const source = new EventSource(url);
  source.onmessage = (event) => h.frame(String(event.data));
  // EventSource would retry on its own; we close it so that one backoff policy governs every transport.
  source.onerror = () => h.fail();
  return () => {
    source.onmessage = source.onerror = null;
    source.close();
  };
}

export function startPolling(url: string, intervalMs: () => number, h: TransportHandlers): Closer {
  let etag: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const controller = typeof AbortController === "function" ? new AbortController() : undefined;
  const poll = () => {
    const headers: Record<string, string> = etag ? { "If-None-Match": etag } : {};
    fetch(url, { headers, cache: "no-store", signal: controller?.signal })
      .then(async (res) => {
        if (stopped) return;
        if (res.status === 304) h.unchanged();
        else if (!res.ok) throw new Error(`GET answered ${res.status}`);
        else {
          etag = res.headers.get("ETag");
          const text = await res.text();
          if (!stopped) h.frame(text);
        }
        if (!stopped) timer = setTimeout(poll, intervalMs());
      })
      .catch(() => {
        if (!stopped) h.fail();
      });
  };
  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
  };
}

export type Reachability = { readonly reachable: false } | { readonly reachable: true; readonly status: number; readonly text: string };

/** One GET: shows a number while a streaming transport is still silent, and tells a dead server from a blocked path. */
export async function fetchOnce(url: string, timeoutMs: number): Promise<Reachability> {
  const controller = typeof AbortController === "function" ? new AbortController() : undefined;
  const timer = setTimeout(() => controller?.abort(), timeoutMs);
  try {
    const res = await fetch(url, { cache: "no-store", signal: controller?.signal });
    return { reachable: true, status: res.status, text: await res.text() };
  } catch {
    return { reachable: false };
  } finally {
    clearTimeout(timer);
  }
}
