// A windowed list for live feeds: it holds up to `cap` items, newest first, but keeps in the
// DOM only the rows in view (plus a margin), each placed with a transform. Adding items at
// hundreds per second then costs a few new row nodes per frame whatever the list length, and
// no row already shown is re-laid out. Reading further down holds still: new items at the
// top shift the scroll position by as much as they add.

export function vlist({ el, frame, rowHeight, cap, key, render, id, label }) {
  const spacer = el('div', { class: 'vlist-spacer' });
  const node = el('div', { class: 'vlist', id, role: 'rowgroup', 'aria-label': label }, spacer);
  let items = [];
  const keys = new Set();
  const shown = new Map(); // key -> row node
  const schedule = () => frame(draw);
  node.addEventListener('scroll', schedule, { passive: true });
  new ResizeObserver(schedule).observe(node);

  /** Add items given oldest first (as they arrived); returns how many were new. */
  function add(batch) {
    const fresh = [];
    for (let i = batch.length - 1; i >= 0 && fresh.length < cap; i--) {
      const k = key(batch[i]);
      if (k === undefined || keys.has(k)) continue;
      keys.add(k);
      fresh.push(batch[i]);
    }
    if (!fresh.length) return 0;
    items = fresh.concat(items);
    for (const gone of items.splice(cap)) keys.delete(key(gone));
    if (node.scrollTop > 0) node.scrollTop += fresh.length * rowHeight;
    schedule();
    return fresh.length;
  }

  function draw() {
    spacer.style.height = `${items.length * rowHeight}px`;
    const view = node.clientHeight || rowHeight * 20;
    const first = Math.max(0, Math.floor(node.scrollTop / rowHeight) - 5);
    const last = Math.min(items.length, first + Math.ceil(view / rowHeight) + 10);
    const wanted = new Map();
    for (let i = first; i < last; i++) wanted.set(key(items[i]), i);
    for (const [k, row] of shown) {
      if (!wanted.has(k)) { row.remove(); shown.delete(k); }
    }
    for (const [k, i] of wanted) {
      let row = shown.get(k);
      if (!row) {
        row = render(items[i]);
        shown.set(k, row);
        node.append(row);
      }
      row.style.transform = `translateY(${i * rowHeight}px)`;
    }
  }

  return {
    node,
    add,
    get size() { return items.length; },
    clear() { items = []; keys.clear(); redraw(); },
    redraw,
  };

  function redraw() {
    for (const row of shown.values()) row.remove();
    shown.clear();
    schedule();
  }
}
