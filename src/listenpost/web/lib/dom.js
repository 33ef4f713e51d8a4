// Tiny DOM helpers shared by the shell and the panels: el() builds elements, frame() batches
// DOM work into one requestAnimationFrame callback (many events per second, one paint).

export function el(tag, attrs, ...children) {
  const node = tag === 'svg' || attrs?.xmlns === SVG ? document.createElementNS(SVG, tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false || key === 'xmlns') continue;
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      node.setAttribute('class', value);
    } else if (key === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (key === 'value' || key === 'checked') {
      node[key] = value;
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

export const SVG = 'http://www.w3.org/2000/svg';

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

const queued = [];
let scheduled = false;

/** Run fn in the next animation frame, together with everything else queued before it. */
export function frame(fn) {
  queued.push(fn);
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    const batch = queued.splice(0);
    for (const job of batch) {
      try { job(); } catch (err) { console.warn('frame job failed', err); }
    }
  });
}

/** Key/value settings kept in localStorage under a "listenpost." prefix (JSON values). */
export const store = {
  get(key, fallback) {
    try {
      const raw = localStorage.getItem('listenpost.' + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch { return fallback; }
  },
  set(key, value) {
    try { localStorage.setItem('listenpost.' + key, JSON.stringify(value)); } catch { /* full */ }
  },
};
