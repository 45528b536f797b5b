// A small dependency-free SVG line chart for benchmark curves (x: viewers, y: p99 ms), with a horizontal bound line.

export interface Series {
  readonly label: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

const palette = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#4d7c0f",
  "#be185d",
  "#475569",
  "#ca8a04",
  "#0f766e",
  "#7c3aed",
];

const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** Rounds up to 1, 2 or 5 × a power of ten, for axis ends. */
function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
}

export function lineChartSvg(
  title: string,
  xLabel: string,
  yLabel: string,
  series: Series[],
  bound?: { y: number; label: string },
): string {
  const w = 900;
  const h = 520;
  const left = 70;
  const right = 260;
  const top = 40;
  const bottom = 60;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).concat(bound ? [bound.y * 1.2] : []);
  const xMax = niceCeil(Math.max(1, ...xs));
  const yMax = niceCeil(Math.max(1, ...ys));
  const px = (x: number) => left + (x / xMax) * (w - left - right);
  const py = (y: number) => h - bottom - (Math.min(y, yMax) / yMax) * (h - top - bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const x = (xMax * i) / 5;
    const y = (yMax * i) / 5;
    out.push(`<line x1="${px(x)}" y1="${top}" x2="${px(x)}" y2="${h - bottom}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${px(x)}" y="${h - bottom + 18}" text-anchor="middle">${Math.round(x).toLocaleString("en-US")}</text>`);
    out.push(`<line x1="${left}" y1="${py(y)}" x2="${w - right}" y2="${py(y)}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${left - 8}" y="${py(y) + 4}" text-anchor="end">${Math.round(y)}</text>`);
  }
  out.push(`<text x="${(left + w - right) / 2}" y="${h - 18}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(
    `<text x="18" y="${(top + h - bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(top + h - bottom) / 2})">${esc(yLabel)}</text>`,
  );
  if (bound) {
    out.push(`<line x1="${left}" y1="${py(bound.y)}" x2="${w - right}" y2="${py(bound.y)}" stroke="#111" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${w - right - 4}" y="${py(bound.y) - 6}" text-anchor="end">${esc(bound.label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = palette[i % palette.length];
    const path = s.points.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(" ");
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${path}"/>`);
    for (const p of s.points) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = top + 16 + i * 18;
    out.push(`<line x1="${w - right + 16}" y1="${ly - 4}" x2="${w - right + 36}" y2="${ly - 4}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${w - right + 42}" y="${ly}">${esc(s.label)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
