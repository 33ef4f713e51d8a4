// Live audio queue panel: new `audio_available` calls play in order, with Hold, Avoid, Skip,
// Pause and Replay last. The engine (radio/queue-engine.js) keeps playing on other panels.

import { engine } from './radio/queue-engine.js';
import { AVOID_MINUTES, activeAvoids } from './radio/queue-core.js';
import { minutesLeft, seconds, stylesheet, tgLabel } from './radio/format.js';

export const title = 'Audio queue';

const SHOWN = 50; // queue rows drawn; the length is always shown in full

export function mount(root, ctx) {
  const { el } = ctx;
  stylesheet('/ui/panels/radio/radio.css');
  engine.init(ctx);
  let scheduled = false;

  const startBtn = el('button', { type: 'button', id: 'queue-start', class: 'primary', onclick: () => engine.start() }, 'Start listening');
  const stopBtn = el('button', { type: 'button', id: 'queue-stop', onclick: () => engine.stop() }, 'Stop listening');
  const pauseBtn = el('button', { type: 'button', id: 'queue-pause', onclick: () => engine.togglePause() }, 'Pause');
  const skipBtn = el('button', { type: 'button', id: 'queue-skip', onclick: () => engine.skip() }, 'Skip');
  const replayBtn = el('button', { type: 'button', id: 'queue-replay', onclick: () => engine.replay() }, 'Replay last');
  const minutes = el('select', { id: 'queue-avoid-minutes', 'aria-label': 'Avoid for' },
    AVOID_MINUTES.map((m) => el('option', { value: String(m) }, m ? `${m} min` : 'until cleared')));
  minutes.value = String(ctx.store.get('radio.queue.avoidMinutes', 30));
  minutes.addEventListener('change', () => ctx.store.set('radio.queue.avoidMinutes', Number(minutes.value)));
  const length = el('strong', { id: 'queue-length' }, '0');
  const note = el('p', { class: 'queue-note', role: 'status' });
  const now = el('div', { id: 'queue-now', class: 'queue-now', 'aria-live': 'polite' });
  const holdBox = el('div', { id: 'queue-hold' });
  const avoidList = el('ul', { id: 'queue-avoids', class: 'plain' });
  const list = el('ol', { id: 'queue-list', class: 'queue-list' });
  const history = el('ol', { id: 'queue-history', class: 'queue-list' });

  root.append(el('section', { class: 'radio-queue' },
    el('h2', null, 'Live audio queue'),
    el('div', { class: 'toolbar' }, startBtn, stopBtn, pauseBtn, skipBtn, replayBtn,
      el('span', { class: 'queue-count' }, 'Queued: ', length)),
    note,
    el('div', { class: 'radio-grid' },
      el('div', null, el('h3', null, 'Now playing'), now, holdBox,
        el('h3', null, 'Avoided talkgroups'), el('label', null, 'Avoid for ', minutes), avoidList),
      el('div', null, el('h3', null, 'Up next'), list)),
    el('h3', null, 'Played'), history));

  const avoidFor = (call) => engine.avoid(call, Number(minutes.value));
  const callButtons = (call) => {
    const tg = tgLabel(call.alpha, call.talkgroup);
    return [
      el('button', { type: 'button', class: 'hold-tg', 'aria-label': `Hold talkgroup ${tg}`, onclick: () => engine.hold(call, 'talkgroup') }, 'Hold talkgroup'),
      el('button', { type: 'button', class: 'hold-sys', 'aria-label': `Hold system ${call.system}`, onclick: () => engine.hold(call, 'system') }, 'Hold system'),
      el('button', { type: 'button', class: 'avoid', 'aria-label': `Avoid talkgroup ${tg}`, onclick: () => avoidFor(call) }, 'Avoid'),
    ];
  };
  const callRow = (call, extra) => el('li', { dataset: { callId: call.id, talkgroup: call.talkgroup, system: call.system } },
    el('span', { class: 'tg' }, tgLabel(call.alpha, call.talkgroup)), ' ',
    el('span', { class: 'muted' }, call.system, ' · ', seconds(call.duration)), ' ', extra);

  function render() {
    scheduled = false;
    const t = Date.now();
    const { prefs } = engine;
    startBtn.hidden = engine.started;
    stopBtn.hidden = !engine.started;
    pauseBtn.textContent = prefs.paused ? 'Resume' : 'Pause';
    pauseBtn.setAttribute('aria-pressed', String(prefs.paused));
    skipBtn.disabled = !engine.current;
    replayBtn.disabled = !engine.last;
    length.textContent = String(engine.queue.length);
    note.textContent = engine.note;
    const cur = engine.current;
    now.replaceChildren(cur ? callRow(cur, callButtons(cur))
      : el('p', { class: 'muted' }, engine.started ? (prefs.paused ? 'Paused.' : 'Waiting for calls…') : 'Not listening.'));
    now.dataset.callId = cur ? cur.id : '';
    const h = prefs.hold;
    holdBox.replaceChildren(h ? el('p', { class: 'badge-line' },
      `Holding ${h.kind === 'system' ? `system ${h.system}` : `talkgroup ${tgLabel(h.alpha, h.talkgroup)} on ${h.system}`} `,
      el('button', { type: 'button', id: 'queue-release', onclick: () => engine.hold(null) }, 'Release hold')) : '');
    avoidList.replaceChildren(...activeAvoids(prefs, t).map((a) => el('li', { dataset: { talkgroup: a.talkgroup, system: a.system } },
      `${tgLabel(a.alpha, a.talkgroup)} on ${a.system} (${minutesLeft(a.until, t)}) `,
      el('button', { type: 'button', class: 'clear-avoid', 'aria-label': `Stop avoiding ${tgLabel(a.alpha, a.talkgroup)}`, onclick: () => engine.clearAvoid(a) }, 'Clear'))));
    list.replaceChildren(...engine.queue.slice(0, SHOWN).map((c) => callRow(c, callButtons(c))));
    history.replaceChildren(...engine.history.slice(0, 20).map(({ call, outcome }) =>
      callRow(call, [el('span', { class: `outcome ${outcome}` }, outcome), ' ', callButtons(call)])));
    history.firstChild?.classList.add('last');
  }
  const schedule = () => {
    if (!scheduled) { scheduled = true; ctx.frame(render); }
  };
  const off = engine.onChange(schedule);
  const tick = setInterval(schedule, 30000); // avoid countdowns
  render();
  return {
    route() {},
    unmount() { off(); clearInterval(tick); engine.reset(); },
  };
}
