// Table rows of the Radio panel, built from model.js entries.

import { clock, elapsed, mhz, seconds, tgLabel, unitLabel } from './format.js';

const tgHref = (system, talkgroup) => '#/radio?' + new URLSearchParams({ system, talkgroup }).toString();

export function tick(cell, now) {
  cell.textContent = elapsed(now - Number(cell.dataset.start));
}

export function rowBuilders(el, { play, open }) {
  const badges = (c) => [
    c.emergency ? el('span', { class: 'badge emergency', title: 'Emergency' }, 'EMERG') : null,
    c.encrypted ? el('span', { class: 'badge encrypted', title: 'Encrypted' }, 'ENC') : null,
  ];
  const tgLink = (c) => el('a', { href: tgHref(c.system, c.talkgroup), title: 'Only this talkgroup' }, tgLabel(c.alpha, c.talkgroup));

  return {
    active(c, now) {
      const cell = el('td', { class: 'elapsed', dataset: { start: String(c.startMs) } });
      tick(cell, now);
      return el('tr', { dataset: { callId: c.id, talkgroup: c.talkgroup, system: c.system } },
        el('td', null, c.system), el('td', null, tgLink(c)), el('td', null, unitLabel(c.unitTag, c.unit)),
        cell, el('td', null, badges(c)), el('td', null, mhz(c.freq)));
    },
    recent(c) {
      return el('tr', { dataset: { callId: c.id, talkgroup: c.talkgroup, system: c.system } },
        el('td', null, clock(c.startMs)), el('td', null, c.system), el('td', null, tgLink(c)),
        el('td', null, unitLabel(c.unitTag, c.unit)), el('td', null, seconds(c.duration)),
        el('td', null, badges(c)),
        el('td', { class: 'actions' },
          c.audio ? el('button', { type: 'button', class: 'play', onclick: () => play(c), 'aria-label': `Play call ${c.id}` }, 'Play') : null,
          el('button', { type: 'button', class: 'open', onclick: () => open(c), 'aria-label': `Details of call ${c.id}` }, 'Details')));
    },
    recorder(r, now) {
      const fresh = now - r.changedAt < 3000;
      return el('tr', { dataset: { recorderId: r.id, state: r.stateType }, class: fresh ? 'changed' : null },
        el('td', null, `${r.src}/${r.rec}`), el('td', null, r.type),
        el('td', null, el('span', { class: `state state-${r.stateType.toLowerCase()}` }, r.stateType)),
        el('td', null, mhz(r.freq)), el('td', null, r.tg ? tgLabel(r.tgAlpha, r.tg) : ''), el('td', null, String(r.count)));
    },
    unit(u) {
      const tg = u.talkgroup ? tgLabel('', u.talkgroup) : '';
      const what = u.target != null ? `${u.type} → ${u.target}` : u.type;
      return el('tr', { dataset: { unit: u.unit, event: u.type } },
        el('td', null, clock(u.atMs)), el('td', null, u.system), el('td', null, unitLabel(u.unitTag, u.unit)),
        el('td', null, what), el('td', null, tg));
    },
  };
}
