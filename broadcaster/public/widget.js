// Embeddable counter: <script src="https://<broadcaster>/widget.js" data-campaign="blackfriday" async></script>
(() => {
  const script = document.currentScript;
  const origin = script?.src ? new URL(script.src).origin : location.origin;
  const campaign = script?.dataset.campaign || "";
  const host = document.createElement("div");
  host.className = "sc-widget";
  host.dataset.status = "connecting";
  host.style.cssText = "font-family:system-ui,sans-serif;text-align:center;padding:.5rem;font-variant-numeric:tabular-nums";
  host.innerHTML =
    '<div class="sc-widget-total" style="font-size:2rem;font-weight:800">—</div>' +
    '<div style="opacity:.8"><span class="sc-widget-count">—</span>건 결제 · <span class="sc-widget-status">연결 중…</span></div>';
  if (script?.parentNode) script.parentNode.insertBefore(host, script.nextSibling);
  else document.body.appendChild(host);
  const view = new SalesCounterView({
    root: host,
    total: host.querySelector(".sc-widget-total"),
    count: host.querySelector(".sc-widget-count"),
    status: host.querySelector(".sc-widget-status"),
  });
  new SalesCounterClient({
    baseUrl: origin,
    campaign: campaign,
    staleAfterMs: Number("{{STALE_AFTER_MS}}") || 5000,
    onSnapshot: (snapshot, transport) => {
      view.show(snapshot, transport);
    },
    onStatus: (status, transport) => {
      view.setStatus(status, transport);
      host.style.opacity = status === "live" ? "1" : "0.5";
    },
  }).start();
})();
