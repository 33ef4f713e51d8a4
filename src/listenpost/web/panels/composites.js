// Composite events as they are created (/api/v1/ws/composite-events): rule name, group,
// member count; each row expands to its base events.
import { labelName, pct, time } from '../lib/format.js';

export const title = 'Composites';
const CAP = 200;

export function mount(root, ctx) {
  const { el } = ctx;
  const list = el('ol', { class: 'composites', id: 'composite-list' });
  const count = el('span', { class: 'muted', id: 'composite-count' });
  root.append(el('div', { class: 'toolbar' }, el('h2', {}, 'Composite events'), count),
    el('div', { class: 'scroll' }, list));
  const items = new Map(); // id -> li
  let pending = [];
  let opened = false;

  function item(c) {
    const body = el('div', { class: 'members', hidden: true, id: 'members-' + c.id });
    const toggle = el('button', { type: 'button', class: 'expand', 'aria-expanded': 'false',
      'aria-controls': body.id, onclick: () => {
        const open = body.hidden;
        body.hidden = !open;
        toggle.setAttribute('aria-expanded', String(open));
        if (open && !body.childElementCount) body.append(members(c));
      } }, `${(c.events || []).length} events`);
    return el('li', { class: 'card composite', dataset: { id: c.id, rule: c.rule?.id || '' } },
      el('div', { class: 'row' },
        el('time', { datetime: c.created_at || '' }, time(c.created_at || c.started_at)),
        el('strong', { class: 'rule' }, c.rule?.name || c.rule?.id || 'rule'),
        el('span', { class: 'group' }, 'group ', el('code', {}, c.group_key)),
        toggle),
      body);
  }

  function members(c) {
    const lang = ctx.store.get('lang', 'en');
    return el('table', {}, el('thead', {}, el('tr', {}, ['Time', 'Label', 'Confidence', 'Mic']
      .map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, (c.events || []).map((e) => el('tr', { tabindex: 0, dataset: { id: e.id },
      onclick: () => ctx.go('sound', { id: e.id }),
      onkeydown: (k) => { if (k.key === 'Enter') ctx.go('sound', { id: e.id }); } },
    el('td', {}, time(e.created_at)), el('td', {}, labelName(e.label, lang)),
    el('td', { class: 'num' }, pct(e.confidence)),
    el('td', {}, e.microphone?.name || e.mic_id)))));
  }

  function flush() {
    const batch = pending.splice(0);
    const frag = document.createDocumentFragment();
    for (let i = batch.length - 1; i >= 0; i--) {
      const c = batch[i];
      if (!c?.id || items.has(c.id)) continue;
      const li = item(c);
      items.set(c.id, li);
      frag.append(li);
    }
    list.prepend(frag);
    while (list.children.length > CAP) {
      items.delete(list.lastElementChild.dataset.id);
      list.lastElementChild.remove();
    }
    count.textContent = `${list.children.length} shown (newest first)`;
  }

  async function reload() {
    try {
      const body = await ctx.api('/api/v1/composite-events?size=50&order_by=desc');
      pending = [...(body.results || []).reverse(), ...pending];
      ctx.frame(flush);
    } catch (err) {
      count.textContent = `could not load composites: ${err.message}`;
    }
  }

  const live = ctx.stream('/api/v1/ws/composite-events', {
    name: 'composites',
    onMessage(c) { pending.push(c); ctx.frame(flush); },
    onOpen() { if (opened) reload(); opened = true; },
  });
  reload();
  return { unmount() { live.close(); } };
}
