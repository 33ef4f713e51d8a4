// Sound feed: live events newest first (capped), filters by label and mic (kept in the hash),
// English/Korean label names, SPL sparklines, and an event detail with "Mark read".
import { fields, labelName, pct, sparkline, time } from '../lib/format.js';
import { vlist } from '../lib/vlist.js';

export const title = 'Sound';
const CAP = 500;

export function mount(root, ctx) {
  const { el } = ctx;
  let lang = ctx.store.get('lang', 'en');
  let filter = null; // {label, mic} the table currently holds
  let pending = [];
  let detailId = null;
  let loadSeq = 0;
  let arrived = []; // live events seen while a reload is in flight: the list it returns may
  // predate them, and clearing the table must not drop them
  let opened = false; // a later open is a reconnection: reload what was missed

  const labelSel = el('select', { id: 'sound-label', name: 'label', onchange: refilter },
    el('option', { value: '' }, 'All labels'));
  const micSel = el('select', { id: 'sound-mic', name: 'mic', onchange: refilter },
    el('option', { value: '' }, 'All mics'));
  const langBtn = el('button', { type: 'button', id: 'sound-lang', onclick: toggleLang });
  const count = el('span', { class: 'muted', id: 'sound-count' });
  const list = vlist({ el, frame: ctx.frame, rowHeight: 28, cap: CAP, key: (ev) => ev?.id,
    render: row, id: 'sound-rows', label: 'Sound events, newest first' });
  const detail = el('aside', { class: 'detail', id: 'sound-detail', hidden: true,
    'aria-label': 'Event detail' });
  root.append(
    el('div', { class: 'toolbar' },
      el('label', {}, 'Label ', labelSel), el('label', {}, 'Mic ', micSel), langBtn, count),
    el('div', { class: 'split' },
      // div rows on a fixed grid in a windowed list, not a <table>: 200 events/s cost a
      // few rows per frame, and no row already shown is laid out again
      el('div', { class: 'feed', id: 'sound-feed', role: 'table', 'aria-label': 'Sound events' },
        el('div', { class: 'feed-row head', role: 'row' }, ['Time', 'Label', 'Conf.',
          'Mic', 'SPL'].map((h) => el('span', { role: 'columnheader',
            title: h === 'Conf.' ? 'Confidence' : null }, h))),
        list.node),
      detail));
  showLang();

  function refilter() {
    ctx.go('sound', { label: labelSel.value, mic: micSel.value });
  }

  function toggleLang() {
    lang = lang === 'en' ? 'ko' : 'en';
    ctx.store.set('lang', lang);
    showLang();
    list.redraw();
    for (const opt of labelSel.options) {
      if (opt.label_) opt.textContent = labelName(opt.label_, lang);
    }
  }

  function showLang() {
    langBtn.textContent = `Labels: ${lang.toUpperCase()}`;
    langBtn.setAttribute('aria-label', lang === 'en' ? 'Show Korean label names'
      : 'Show English label names');
  }

  async function loadChoices() {
    const [labels, mics] = await Promise.all([ctx.api('/api/v1/labels'), ctx.all('/api/v1/mics')]);
    for (const label of labels.data || []) {
      const opt = el('option', { value: label.id }, labelName(label, lang));
      opt.label_ = label;
      labelSel.append(opt);
    }
    for (const mic of mics) micSel.append(el('option', { value: mic.id }, mic.name || mic.id));
    labelSel.value = filter?.label || '';
    micSel.value = filter?.mic || '';
  }

  async function reload() {
    const seq = ++loadSeq;
    arrived = [];
    const q = new URLSearchParams({ size: '100' });
    if (filter.label) q.set('label_id', filter.label);
    if (filter.mic) q.set('mic_id', filter.mic);
    try {
      const body = await ctx.api('/api/v1/events?' + q);
      if (seq !== loadSeq) return;
      list.clear();
      pending = [...(body.results || []).reverse(), ...arrived, ...pending]; // ids dedupe
      arrived = [];
      ctx.frame(flush);
    } catch (err) {
      count.textContent = `could not load events: ${err.message}`;
    }
  }

  function matches(ev) {
    return filter && (!filter.label || ev.label?.id === filter.label)
      && (!filter.mic || ev.mic?.id === filter.mic);
  }

  function row(ev) {
    return el('div', { class: 'feed-row', role: 'row', tabindex: 0, dataset: { id: ev.id,
      label: ev.label?.id || '', mic: ev.mic?.id || '' } },
    el('time', { role: 'cell', datetime: ev.created_at || '' }, time(ev.created_at)),
    el('span', { role: 'cell', class: 'label' }, labelName(ev.label, lang)),
    el('span', { role: 'cell', class: 'num' }, pct(ev.confidence)),
    el('span', { role: 'cell', class: 'mic' }, ev.mic?.name || ev.mic?.id || ''),
    el('span', { role: 'cell' }, sparkline(ev.noises)));
  }

  function open(ev) {
    const tr = ev.target.closest('.feed-row[data-id]');
    if (!tr) return;
    if (ev.type === 'keydown' && ev.key !== 'Enter' && ev.key !== ' ') return;
    ev.preventDefault();
    ctx.go('sound', { ...(filter || {}), id: tr.dataset.id });
  }
  list.node.addEventListener('click', open);
  list.node.addEventListener('keydown', open);

  function flush() {
    list.add(pending.splice(0));
    count.textContent = `${list.size} shown (newest first, up to ${CAP})`;
  }

  async function showDetail(id) {
    detailId = id;
    detail.hidden = false;
    detail.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    try {
      const body = await ctx.api(`/api/v1/events/${encodeURIComponent(id)}`);
      const ev = body?.data || body;
      if (detailId !== id) return;
      renderDetail(ev);
    } catch (err) {
      detail.replaceChildren(closeBtn(), el('p', { class: 'error' }, err.message));
    }
  }

  function closeBtn() {
    return el('button', { type: 'button', class: 'close', onclick: () => ctx.go('sound',
      { ...(filter || {}) }) }, 'Back to feed');
  }

  function renderDetail(ev) {
    const status = el('span', { id: 'read-status' }, ev.is_read ? `read ${ev.read_at}` : 'unread');
    const mark = el('button', { type: 'button', id: 'mark-read', disabled: ev.is_read,
      onclick: async () => {
        mark.disabled = true;
        try {
          const res = await ctx.api(`/api/v1/events/${encodeURIComponent(ev.id)}/read`,
            { method: 'POST' });
          const after = res?.data || res;
          status.textContent = `read ${after?.read_at || ''}`.trim();
        } catch (err) {
          status.textContent = err.message;
          mark.disabled = false;
        }
      } }, 'Mark read');
    const heading = el('h2', { tabindex: -1 }, `${labelName(ev.label, lang)} · ${ev.mic?.name || ''}`);
    detail.replaceChildren(closeBtn(), heading, el('p', {}, mark, ' ', status),
      sparkline(ev.noises, { width: 260, height: 60 }), fields(ev));
    heading.focus();
  }

  const live = ctx.stream('/api/v1/ws', {
    name: 'sound',
    onMessage(ev) {
      if (!matches(ev)) return;
      pending.push(ev);
      arrived.push(ev);
      if (arrived.length > CAP) arrived.splice(0, arrived.length - CAP);
      if (pending.length > CAP * 2) pending.splice(0, pending.length - CAP);
      ctx.frame(flush);
    },
    onOpen() { if (filter && opened) reload(); opened = true; },
  });
  const choices = loadChoices().catch((err) => ctx.note(`labels/mics: ${err.message}`));

  return {
    route(params) {
      const next = { label: params.label || '', mic: params.mic || '' };
      if (!filter || next.label !== filter.label || next.mic !== filter.mic) {
        filter = next;
        choices.then(() => { labelSel.value = filter.label; micSel.value = filter.mic; });
        reload();
      }
      if (params.id && params.id !== detailId) showDetail(params.id);
      if (!params.id) { detailId = null; detail.hidden = true; }
    },
    unmount() { live.close(); },
  };
}
