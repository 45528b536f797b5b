// Counter view: formats KRW with BigInt (money never becomes a float) and counts up smoothly between snapshots.
((global) => {
  const animationMs = 400;
  const steps = 1000n;

  function formatterFor(currency) {
    try {
      return new Intl.NumberFormat("ko-KR", { style: "currency", currency: currency, maximumFractionDigits: 0 });
    } catch (_err) {
      return new Intl.NumberFormat("ko-KR");
    }
  }

  /** elements: total, count, status (all optional but total), root gets data-status / data-transport / data-total. */
  function SalesCounterView(elements) {
    this.el = elements;
    this.shownTotal = null;
    this.shownCount = 0;
    this.targetTotal = null;
    this.targetCount = 0;
    this.formatter = formatterFor("KRW");
    this.countFormatter = new Intl.NumberFormat("ko-KR");
    this.frame = 0;
  }

  SalesCounterView.prototype.setStatus = function (status, transport) {
    const root = this.el.root;
    root.dataset.status = status;
    if (transport) root.dataset.transport = transport;
    root.classList.toggle("stale", status !== "live");
    if (this.el.status) this.el.status.textContent = status === "live" ? "LIVE" : status === "connecting" ? "연결 중…" : "다시 연결 중…";
  };

  SalesCounterView.prototype.show = function (snapshot, transport) {
    const total = BigInt(snapshot.total);
    if (snapshot.currency) this.formatter = formatterFor(snapshot.currency);
    this.el.root.dataset.total = snapshot.total;
    this.el.root.dataset.count = String(snapshot.count);
    this.el.root.dataset.seq = String(snapshot.seq);
    if (transport) this.el.root.dataset.transport = transport;
    this.targetTotal = total;
    this.targetCount = snapshot.count;
    // First value, or a refund (the only way the total goes down): jump, never count backwards.
    if (this.shownTotal === null || total < this.shownTotal) {
      this.render(total, snapshot.count);
      return;
    }
    this.animate(this.shownTotal, this.shownCount, total, snapshot.count);
  };

  SalesCounterView.prototype.animate = function (fromTotal, fromCount, toTotal, toCount) {
    const self = this;
    const started = performance.now();
    cancelAnimationFrame(this.frame);
    function step(now) {
      const t = Math.min(1, (now - started) / animationMs);
      const eased = 1 - (1 - t) ** 3;
      const k = BigInt(Math.round(eased * 1000));
      const total = fromTotal + ((toTotal - fromTotal) * k) / steps;
      const count = Math.round(fromCount + (toCount - fromCount) * eased);
      self.render(total, count);
      if (t < 1) self.frame = requestAnimationFrame(step);
    }
    // Background tabs get no animation frames: show the value at once.
    if (document.hidden) this.render(toTotal, toCount);
    else this.frame = requestAnimationFrame(step);
  };

  SalesCounterView.prototype.render = function (total, count) {
    this.shownTotal = total;
    this.shownCount = count;
    this.el.total.textContent = this.formatter.format(total);
    if (this.el.count) this.el.count.textContent = this.countFormatter.format(count);
  };

  global.SalesCounterView = SalesCounterView;
})(typeof window !== "undefined" ? window : globalThis);
