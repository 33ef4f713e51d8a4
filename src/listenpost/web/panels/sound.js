// Sound feed: live events newest first (capped), filters by label and mic (kept in the hash),
// English/Korean label names, SPL sparklines, and an event detail with "Mark read".
import { fields, labelName, pct, sparkline, time } from '../lib/format.js';

export const title = 'Sound';
const CAP = 500;

export function mount(root, ctx) {
  const { el } = ctx;
  let lang = ctx.store.get('lang', 'en');
  let filter = null; // {label, mic} the table currently holds
  let pending = [];
  const rows = new Map(); // id -> {tr, ev}
  let detailId = null;
  let loadSeq = 0;
  let opened = false; // a later open is a reconnection: reload what was missed

  const labelSel = el('select', { id: 'sound-label', name: 'label', onchange: refilter },
    el('option', { value: '' }, 'All labels'));
  const micSel = el('select', { id: 'sound-mic', name: 'mic', onchange: refilter },
    el('option', { value: '' }, 'All mics'));
  const langBtn = el('button', { type: 'button', id: 'sound-lang', onclick: toggleLang });
  const count = el('span', { class: 'muted', id: 'sound-count' });
  const tbody = el('tbody', { id: 'sound-rows' });
  const detail = el('aside', { class: 'detail', id: 'sound-detail', hidden: true,
    'aria-label': 'Event detail' });
  root.append(
    el('div', { class: 'toolbar' },
      el('label', {}, 'Label ', labelSel), el('label', {}, 'Mic ', micSel), langBtn, count),
    el('div', { class: 'split' },
      el('div', { class: 'scroll' },
        el('table', { class: 'feed', id: 'sound-feed' },
          el('thead', {}, el('tr', {}, ['Time', 'Label', 'Confidence', 'Mic', 'SPL']
            .map((h) => el('th', { scope: 'col' }, h)))),
          tbody)),
      detail));
  showLang();

  function refilter() {
    ctx.go('sound', { label: labelSel.value, mic: micSel.value });
  }

  function toggleLang() {
    lang = lang === 'en' ? 'ko' : 'en';
    ctx.store.set('lang', lang);
    showLang();
    for (const { tr, ev } of rows.values()) tr.children[1].textContent = labelName(ev.label, lang);
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
    const q = new URLSearchParams({ size: '100' });
    if (filter.label) q.set('label_id', filter.label);
    if (filter.mic) q.set('mic_id', filter.mic);
    try {
      const body = await ctx.api('/api/v1/events?' + q);
      if (seq !== loadSeq) return;
      tbody.replaceChildren();
      rows.clear();
      pending = [...(body.results || []).reverse(), ...pending];
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
    const tr = el('tr', { tabindex: 0, dataset: { id: ev.id, label: ev.label?.id || '',
      mic: ev.mic?.id || '' } },
      el('td', {}, el('time', { datetime: ev.created_at || '' }, time(ev.created_at))),
      el('td', { class: 'label' }, labelName(ev.label, lang)),
      el('td', { class: 'num' }, pct(ev.confidence)),
      el('td', { class: 'mic' }, ev.mic?.name || ev.mic?.id || ''),
      el('td', {}, sparkline(ev.noises)));
    return tr;
  }

  function open(ev) {
    const tr = ev.target.closest('tr[data-id]');
    if (!tr) return;
    if (ev.type === 'keydown' && ev.key !== 'Enter' && ev.key !== ' ') return;
    ev.preventDefault();
    ctx.go('sound', { ...(filter || {}), id: tr.dataset.id });
  }
  tbody.addEventListener('click', open);
  tbody.addEventListener('keydown', open);

  function flush() {
    const batch = pending.splice(0);
    if (batch.length) {
      const frag = document.createDocumentFragment();
      const fresh = batch.slice(-CAP);
      for (let i = fresh.length - 1; i >= 0; i--) {
        const ev = fresh[i];
        if (!ev?.id || rows.has(ev.id)) continue;
        const tr = row(ev);
        rows.set(ev.id, { tr, ev });
        frag.append(tr);
      }
      tbody.prepend(frag);
      while (tbody.children.length > CAP) {
        const last = tbody.lastElementChild;
        rows.delete(last.dataset.id);
        last.remove();
      }
    }
    count.textContent = `${tbody.children.length} shown (newest first, up to ${CAP})`;
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
