// The embeddable counter: <script src="https://<broadcaster>/widget.js" data-campaign="blackfriday" async></script>
//
// Options (data- attributes of the script tag): campaign, format ("korean" for 억/만 units), theme ("light" | "dark"),
// accent (a CSS colour for the number), label (the heading), mode ("board" for a big screen), target (a CSS selector of
// the element to fill; by default the widget goes right after the script tag). It lives in a shadow root, so the
// host page's CSS cannot recolour or strike it, and it sizes itself to the width of its container.

import { SalesCounterClient } from "./counter-client.js";
import { parseFormat } from "./counter-format.js";
import { counterStreamParams } from "./counter-params.js";
import { CounterView } from "./counter-view.js";

/** Filled in when the script is built: counter.css + widget.css minified, and a placeholder the broadcaster replaces
 * with its staleness limit in milliseconds at start. */
declare const __WIDGET_CSS__: string;
declare const __STALE_AFTER_MS__: string;

const script = document.currentScript as HTMLScriptElement | null;
const options = script?.dataset ?? {};
const origin = script?.src ? new URL(script.src).origin : location.origin;

const host = document.createElement("div");
host.className = "sales-counter-widget";
host.dataset.status = "connecting";
const shadow = host.attachShadow({ mode: "open" });
const style = document.createElement("style");
style.textContent = __WIDGET_CSS__;

const box = document.createElement("div");
box.className = "sc-w";
box.dataset.theme = options.theme === "dark" ? "dark" : "light";
if (options.accent && CSS.supports("color", options.accent)) box.style.setProperty("--sc-accent", options.accent);
box.innerHTML =
  '<div class="sc-counter" part="counter"><p class="sc-label"></p><p class="sc-total"><span class="sc-digits">—</span></p>' +
  '<p class="sc-count"><span class="sc-count-n">—</span>건 결제</p><p class="sc-status" role="status">연결 중…</p>' +
  '<p class="sc-sr" aria-live="polite" aria-atomic="true"></p></div>';
const part = <E extends HTMLElement>(selector: string) => box.querySelector(selector) as E;
part(".sc-label").textContent = options.label ?? "실시간 누적 결제 금액";
shadow.append(style, box);

const target = options.target ? document.querySelector(options.target) : null;
if (target) target.replaceChildren(host);
else if (script?.parentNode) script.parentNode.insertBefore(host, script.nextSibling);
else document.body.appendChild(host);

const root = part(".sc-counter");
const board = options.mode === "board";
const view = new CounterView(
  {
    root,
    total: part(".sc-total"),
    digits: part(".sc-digits"),
    count: part(".sc-count-n"),
    status: part(".sc-status"),
    announcer: part(".sc-sr"),
  },
  // A short figure ("1조 원") must not balloon: the size is capped by the box's width too.
  { format: parseFormat(options.format), maxPx: (el) => (board ? innerHeight * 0.42 : Math.min(96, el.clientWidth * 0.14)) },
);

new SalesCounterClient({
  baseUrl: origin,
  campaign: options.campaign ?? "",
  params: counterStreamParams,
  staleAfterMs: Number(__STALE_AFTER_MS__) || 5000,
  onSnapshot: (snapshot, transport) => {
    view.show(snapshot, transport);
    host.dataset.total = snapshot.total;
  },
  onStatus: (status, transport) => {
    view.setStatus(status, transport);
    // Mirrored on the host for the embedding page's scripts (its CSS cannot restyle the inside anyway).
    host.dataset.status = status;
  },
}).start();
