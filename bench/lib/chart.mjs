// The results chart: hand-written SVG bar charts in one HTML page, rendered by the headless
// Chromium the benchmark already runs and screenshotted to PNG. No charting dependency.

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const OURS = '#1f6feb';
const ALI = '#e36209';
const LIMIT = '#6e7781';
export const COLORS = { ours: OURS, ali: ALI, limit: LIMIT, other: '#8250df' };

/**
 * A horizontal bar chart. `bars`: [{ label, value, color, text? }] (value NaN → "n/a");
 * `lines`: [{ value, label, color }] vertical reference lines (targets, limits).
 */
export function hbars({ title, unit, bars, lines = [], width = 640, log = false }) {
  const rowH = 22;
  const left = 250;
  const right = 90;
  const top = 34;
  const h = top + bars.length * rowH + 34;
  const finite = bars.map((b) => b.value).filter(Number.isFinite);
  const max = Math.max(...finite, ...lines.map((l) => l.value), 1e-9) * 1.05;
  const min = log ? Math.max(Math.min(...finite.filter((v) => v > 0), ...lines.map((l) => l.value)) / 2, 1e-9) : 0;
  const plotW = width - left - right;
  const x = (v) => {
    if (!log) return left + (v / max) * plotW;
    const lv = Math.log10(Math.max(v, min));
    return left + ((lv - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * plotW;
  };
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<text x="8" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${left - 6}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`);
    if (Number.isFinite(b.value)) {
      const w = Math.max(1, x(b.value) - left);
      parts.push(`<rect x="${left}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${b.color}"/>`);
      parts.push(`<text x="${left + w + 4}" y="${y + 14}">${esc(b.text ?? b.value)}</text>`);
    } else {
      parts.push(`<text x="${left + 4}" y="${y + 14}" fill="#888">${esc(b.text ?? 'n/a')}</text>`);
    }
  });
  const bottom = top + bars.length * rowH;
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#444"/>`);
  for (const l of lines) {
    const lx = x(l.value);
    parts.push(`<line x1="${lx}" y1="${top - 4}" x2="${lx}" y2="${bottom + 4}" stroke="${l.color ?? '#cf222e'}" stroke-width="2" stroke-dasharray="5,3"/>`);
    parts.push(`<text x="${lx}" y="${bottom + 18}" text-anchor="middle" fill="${l.color ?? '#cf222e'}">${esc(l.label)}</text>`);
  }
  parts.push(`<text x="${width - 8}" y="18" text-anchor="end" fill="#555">${esc(unit)}${log ? ' (log scale)' : ''}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** The page: a title, a caption and the panels in a two-column grid. */
export function chartPage({ title, caption, panels }) {
  return `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title>
<style>
  body { margin: 0; padding: 16px 20px; background: #fff; color: #111; font-family: "DejaVu Sans", Arial, sans-serif; width: 1320px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  p { font-size: 12px; color: #444; margin: 0 0 12px; }
  .grid { display: grid; grid-template-columns: 660px 660px; gap: 14px 0; }
  .legend span { display: inline-block; margin-right: 16px; font-size: 12px; }
  .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -1px; }
</style>
<h1>${esc(title)}</h1>
<p>${esc(caption)}</p>
<p class="legend"><span><i style="background:${OURS}"></i>oss-direct-upload</span><span><i style="background:${ALI}"></i>ali-oss</span><span><i style="background:${LIMIT}"></i>raw fetch (limit)</span><span><i style="background:#8250df"></i>other SDKs</span><span><i style="border-top:2px dashed #cf222e;height:0;vertical-align:3px"></i>target</span></p>
<div class="grid">${panels.map((p) => `<div>${p}</div>`).join('')}</div>`;
}
