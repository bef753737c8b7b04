// Hand-drawn SVG charts: stacked bars over time buckets, with a y axis of round numbers.

import { h, number } from './dom.js';

const width = 640;
const height = 200;
const margin = { top: 10, right: 10, bottom: 24, left: 44 };

/** Returns the smallest of 1, 2, 5 × 10^n that is at least value. */
function niceCeiling(value) {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

function timeLabel(iso, bucketSeconds) {
  const date = new Date(iso);
  return bucketSeconds >= 3600 * 24 / 60 && bucketSeconds > 60
    ? date.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
    : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * Draws a stacked bar chart of buckets ([{start, ...values}]) with one stack per series
 * ([{key, label, color, swatch}]), bottom to top. Each column has a title with its figures, which
 * browsers show on hover.
 */
export function stackedBars({ title, buckets, series, bucketSeconds, unit = 'jobs' }) {
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const totals = buckets.map((bucket) => series.reduce((sum, s) => sum + (bucket[s.key] ?? 0), 0));
  // Four grid steps of a round size, so every axis label is a whole, round number.
  const max = 4 * niceCeiling(Math.max(1, ...totals) / 4);
  const slot = plotWidth / Math.max(1, buckets.length);
  const barWidth = Math.max(1, slot * 0.78);

  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    const y = margin.top + plotHeight - (plotHeight * i) / 4;
    svg.append(h('svg:line', { x1: margin.left, x2: width - margin.right, y1: y, y2: y, stroke: '#e5e8ee' }));
    svg.append(h('svg:text', {
      x: margin.left - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#687082',
    }, number(Math.round(value))));
  }

  buckets.forEach((bucket, index) => {
    const x = margin.left + index * slot + (slot - barWidth) / 2;
    let y = margin.top + plotHeight;
    const group = h('svg:g', {});
    const lines = [timeLabel(bucket.start, bucketSeconds)];
    for (const s of series) {
      const value = bucket[s.key] ?? 0;
      lines.push(`${s.label}: ${number(value)}`);
      if (value <= 0) continue;
      const barHeight = (plotHeight * value) / max;
      y -= barHeight;
      group.append(h('svg:rect', { x, y, width: barWidth, height: barHeight, fill: s.color }));
    }
    // An invisible full-height rectangle makes the whole column hoverable.
    group.append(h('svg:rect', {
      x: margin.left + index * slot, y: margin.top, width: slot, height: plotHeight, fill: 'transparent',
    }, h('svg:title', {}, lines.join('\n'))));
    svg.append(group);
  });

  const labelIndexes = [0, Math.floor(buckets.length / 2), buckets.length - 1];
  for (const index of new Set(labelIndexes)) {
    if (!buckets[index]) continue;
    const x = margin.left + index * slot + slot / 2;
    let anchor = 'middle';
    if (index === 0) anchor = 'start';
    else if (index === buckets.length - 1) anchor = 'end';
    svg.append(h('svg:text', {
      x, y: height - 6, 'text-anchor': anchor, 'font-size': 10, fill: '#687082',
    }, timeLabel(buckets[index].start, bucketSeconds)));
  }

  const total = totals.reduce((a, b) => a + b, 0);
  return h('div', { class: 'chart' },
    h('h2', {}, title, ' ', h('span', { class: 'muted' }, `${number(total)} ${unit}`)),
    svg,
    h('div', { class: 'legend' }, series.map((s) => h('span', { class: `swatch-${s.swatch}` }, s.label))));
}
