// Dashboard charts (uPlot): the cumulative total with a previous campaign overlaid at the same elapsed time, and sales per minute.
((global) => {
  const krwAxis = (_u, values) =>
    values.map((v) => {
      if (v >= 1e8) return `${(v / 1e8).toLocaleString("ko-KR", { maximumFractionDigits: 1 })}억`;
      if (v >= 1e4) return `${(v / 1e4).toLocaleString("ko-KR", { maximumFractionDigits: 1 })}만`;
      return v.toLocaleString("ko-KR");
    });

  function widthOf(el) {
    return Math.max(280, el.clientWidth || 600);
  }

  /** Last value at or before each x from points [[t, value]] sorted by t (null before the first). */
  function alignTo(xs, points, offset) {
    const out = [];
    let j = 0;
    let last = null;
    for (let i = 0; i < xs.length; i++) {
      while (j < points.length && points[j][0] + offset <= xs[i]) last = points[j++][1];
      out.push(last);
    }
    return out;
  }

  /** Sales per minute from cumulative points: last total of each minute minus the last total of the minute before. */
  function perMinute(points) {
    const xs = [];
    const ys = [];
    let previous = null;
    let minute = null;
    let lastInMinute = null;
    function flush() {
      if (minute === null) return;
      xs.push(minute);
      ys.push(previous === null ? 0 : lastInMinute - previous);
      previous = lastInMinute;
    }
    for (let i = 0; i < points.length; i++) {
      const m = points[i][0] - (points[i][0] % 60);
      if (m !== minute) {
        flush();
        minute = m;
      }
      lastInMinute = points[i][1];
    }
    flush();
    // Start from zero the minute before, so a young campaign still draws a bar-like step instead of one dot.
    if (xs.length > 0) {
      xs.unshift(xs[0] - 60);
      ys.unshift(0);
    }
    return [xs, ys];
  }

  function DashboardCharts(totalEl, rateEl) {
    this.total = new uPlot(
      {
        width: widthOf(totalEl),
        height: 260,
        scales: { x: { time: true } },
        series: [
          {},
          { label: "이번 캠페인", stroke: "#1e88e5", width: 2 },
          { label: "이전 캠페인", stroke: "#9e9e9e", dash: [6, 4], spanGaps: true },
        ],
        axes: [{}, { values: krwAxis, size: 70 }],
      },
      [[], [], []],
      totalEl,
    );
    this.rate = new uPlot(
      {
        width: widthOf(rateEl),
        height: 260,
        scales: { x: { time: true } },
        series: [{}, { label: "분당 판매액", stroke: "#2e7d32", fill: "rgba(46,125,50,.15)", width: 2 }],
        axes: [{}, { values: krwAxis, size: 70 }],
      },
      [[], []],
      rateEl,
    );
  }

  /** points: [[unixSecond, totalNumber]] of this campaign; previous: the same of the earlier one, offset to line up starts. */
  DashboardCharts.prototype.update = function (points, previous, previousOffset) {
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    this.total.setData([xs, ys, alignTo(xs, previous || [], previousOffset || 0)]);
    this.rate.setData(perMinute(points));
  };

  global.DashboardCharts = DashboardCharts;
})(window);
