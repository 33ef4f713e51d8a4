// Small formatting helpers shared by panels.
import { el } from './dom.js';

const CLOCK = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' }); // made once: cheap per row

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : CLOCK.format(d);
}

export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function pct(x) {
  return typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '';
}

export function labelName(label, lang) {
  if (!label) return '';
  return (lang === 'ko' ? label.name?.ko : label.name?.en) || label.name?.en || label.id;
}

/** An inline SVG sparkline of an SPL series (dB); null values leave gaps. */
export function sparkline(values, { width = 80, height = 20 } = {}) {
  const nums = (values || []).filter((v) => typeof v === 'number');
  const svg = el('svg', { class: 'spark', width, height, viewBox: `0 0 ${width} ${height}`,
    role: 'img', 'aria-label': nums.length ? `SPL ${Math.min(...nums).toFixed(0)}–${Math.max(...nums).toFixed(0)} dB` : 'no SPL series' });
  if (nums.length < 2) return svg;
  const lo = Math.min(...nums), hi = Math.max(...nums), span = hi - lo || 1;
  const step = width / (values.length - 1);
  const points = [];
  values.forEach((v, i) => {
    if (typeof v === 'number') {
      points.push(`${(i * step).toFixed(1)},${(height - 1 - ((v - lo) / span) * (height - 2)).toFixed(1)}`);
    }
  });
  svg.append(el('polyline', { xmlns: 'http://www.w3.org/2000/svg', points: points.join(' ') }));
  return svg;
}

/** Every field of an object as nested definition lists (detail views). */
export function fields(obj) {
  if (obj === null || obj === undefined) return el('span', { class: 'muted' }, 'null');
  if (typeof obj !== 'object') return String(obj);
  if (Array.isArray(obj)) {
    if (obj.every((v) => typeof v !== 'object' || v === null)) return obj.join(', ') || '[]';
    return el('ol', {}, obj.map((v) => el('li', {}, fields(v))));
  }
  return el('dl', { class: 'fields' }, Object.entries(obj).map(([k, v]) => [
    el('dt', {}, k), el('dd', {}, fields(v)),
  ]));
}
