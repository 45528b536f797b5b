// Dashboard: history on load, live snapshots after; KPIs, goal and pace, charts, top channels/categories, milestones.
(() => {
  const settings = JSON.parse(document.body.dataset.settings);
  const won = new Intl.NumberFormat("ko-KR", { style: "currency", currency: "KRW", maximumFractionDigits: 0 });
  const num = new Intl.NumberFormat("ko-KR");
  const q = (extra) => `?campaign=${encodeURIComponent(settings.campaign)}${extra || ""}`;
  const $ = (id) => document.getElementById(id);
  const state = { points: [], previous: [], previousOffset: 0, snapshot: null, milestones: [] };
  window.dashboardState = state;
  const charts = new DashboardCharts($("chart-total"), $("chart-rate"));

  function getJson(path) {
    return fetch(path, { cache: "no-store" }).then((res) => {
      if (!res.ok) throw new Error(`${path} answered ${res.status}`);
      return res.json();
    });
  }

  function toPoints(history) {
    return history.points.map((p) => [p[0], Number(p[1])]);
  }

  /** The per-second series when the campaign fits in the last hour, else per-minute for the whole campaign. */
  function loadHistory() {
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    return getJson(`/v1/history${q()}&step=60`).then((minutes) => {
      const first = minutes.points[0];
      if (first && first[0] < hourAgo) return toPoints(minutes);
      return getJson(`/v1/history${q(`&step=1&from=${hourAgo}`)}`).then(toPoints);
    });
  }

  function loadPrevious() {
    if (!settings.previousCampaign) return Promise.resolve();
    return getJson(`/v1/history?campaign=${encodeURIComponent(settings.previousCampaign)}&step=60`).then((h) => {
      state.previous = toPoints(h);
    });
  }

  function startOf(points) {
    if (settings.campaignStart) return Math.floor(Date.parse(settings.campaignStart) / 1000);
    return points.length ? points[0][0] : Math.floor(Date.now() / 1000);
  }

  function redrawCharts() {
    const prevStart = state.previous.length ? state.previous[0][0] : 0;
    state.previousOffset = startOf(state.points) - prevStart;
    charts.update(state.points, state.previous, state.previousOffset);
  }

  function renderBreakdown(tableId, dims) {
    const rows = Object.keys(dims || {})
      .map((name) => [name, dims[name]])
      .sort((a, b) => (BigInt(b[1].total) > BigInt(a[1].total) ? 1 : -1))
      .slice(0, 10);
    const body = $(tableId).tBodies[0];
    body.replaceChildren();
    rows.forEach((row) => {
      const tr = body.insertRow();
      tr.insertCell().textContent = row[0];
      tr.insertCell().textContent = `${num.format(row[1].count)}건`;
      tr.insertCell().textContent = won.format(BigInt(row[1].total));
    });
  }

  function renderGoal(s) {
    if (!settings.goal) return;
    const goal = BigInt(settings.goal);
    const total = BigInt(s.total);
    const basisPoints = total >= goal ? 10000n : (total * 10000n) / goal;
    $("goal").hidden = false;
    $("goal-percent").textContent = `${won.format(total)} / ${won.format(goal)} (${(Number(basisPoints) / 100).toFixed(1)}%)`;
    $("goal-bar").style.width = `${Number(basisPoints) / 100}%`;
    const perMinute = BigInt(s.perMinute ? s.perMinute.total : "0");
    let text;
    if (total >= goal) text = "목표 달성!";
    else if (perMinute <= 0n) text = "최근 1분간 판매가 없어 예상 시각을 계산할 수 없습니다";
    else {
      const minutesLeft = Number(goal - total) / Number(perMinute);
      const eta = new Date(Date.now() + minutesLeft * 60000);
      const hhmm = eta.toLocaleTimeString("ko-KR", { hour: "2-digit", minute: "2-digit", hour12: false });
      text = `이 속도면 ${hhmm}에 목표 달성 예상`;
    }
    $("goal-pace").textContent = text;
  }

  function renderSnapshot(s) {
    const total = BigInt(s.total);
    $("kpi-total").textContent = won.format(total);
    $("kpi-count").textContent = `${num.format(s.count)}건`;
    $("kpi-aov").textContent = s.count > 0 ? won.format(total / BigInt(s.count)) : "—";
    $("kpi-refunds").textContent = `${num.format(s.refunds || 0)}건 · ${won.format(BigInt(s.refunded || "0"))}`;
    $("kpi-pm-count").textContent = `${num.format(s.perMinute ? s.perMinute.count : 0)}건`;
    $("kpi-pm-total").textContent = won.format(BigInt(s.perMinute ? s.perMinute.total : "0"));
    renderGoal(s);
    renderBreakdown("channels", s.channels);
    renderBreakdown("categories", s.categories);
  }

  function renderMilestones() {
    const list = $("milestones");
    list.replaceChildren();
    state.milestones.forEach((m) => {
      const li = document.createElement("li");
      const at = new Date(m.at).toLocaleTimeString("ko-KR", { hour12: false });
      li.textContent = `${won.format(BigInt(m.threshold))} 돌파 · ${at}`;
      li.dataset.threshold = m.threshold;
      list.appendChild(li);
    });
  }

  function loadMilestones() {
    return getJson(`/v1/milestones${q()}`).then((body) => {
      state.milestones = body.milestones;
      renderMilestones();
    });
  }

  function onSnapshot(s) {
    state.snapshot = s;
    renderSnapshot(s);
    const second = Math.floor(Date.parse(s.at) / 1000);
    const last = state.points[state.points.length - 1];
    if (last && last[0] === second) last[1] = Number(s.total);
    else if (!last || last[0] < second) state.points.push([second, Number(s.total)]);
    redrawCharts();
  }

  Promise.all([loadHistory(), loadPrevious().catch(() => {})])
    .then((results) => {
      state.points = results[0];
      state.historyLoaded = state.points.length;
      redrawCharts();
    })
    .catch(() => {
      $("status").textContent = "기록을 불러오지 못했습니다";
    })
    .then(() => {
      new SalesCounterClient({
        campaign: settings.campaign,
        staleAfterMs: settings.staleAfterMs,
        onSnapshot: onSnapshot,
        onStatus: (status) => {
          document.body.dataset.status = status;
          document.body.classList.toggle("stale", status !== "live");
          $("status").textContent = status === "live" ? "LIVE" : "다시 연결 중…";
        },
      }).start();
    });
  loadMilestones().catch(() => {});
  setInterval(() => {
    loadMilestones().catch(() => {});
  }, 5000);
})();
