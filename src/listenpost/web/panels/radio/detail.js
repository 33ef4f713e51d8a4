// One call (#/calls/<id>): every field, its transmissions and a player.

import { clock, mhz, seconds, tgLabel, unitLabel } from './format.js';

export function callDetail(box, ctx, back) {
  const { el } = ctx;
  let shown = null;
  let audio = null;

  function close() {
    audio?.pause();
    audio = null;
    shown = null;
    box.hidden = true;
    box.replaceChildren();
  }

  async function show(id) {
    if (!id) return close();
    if (String(id) === shown) return;
    close();
    shown = String(id);
    box.hidden = false;
    box.replaceChildren(el('p', { class: 'muted' }, `Loading call ${id}…`));
    let call;
    let txs = [];
    try {
      call = (await ctx.api(`/api/v1/calls/${encodeURIComponent(id)}`)).data;
      txs = (await ctx.api(`/api/v1/calls/${encodeURIComponent(id)}/transmissions`)).data;
    } catch (err) {
      if (shown !== String(id)) return;
      box.replaceChildren(el('p', { class: 'error', role: 'alert' }, err.message),
        el('button', { type: 'button', onclick: back }, 'Back'));
      return;
    }
    if (shown !== String(id)) return;
    audio = call.audio_url ? el('audio', { id: 'call-audio', controls: true, preload: 'metadata', src: ctx.url(call.audio_url) }) : null;
    const fields = [
      ['System', `${call.system} (${call.sysid})`],
      ['Talkgroup', tgLabel(call.talkgroup_alpha_tag, call.talkgroup)],
      ['Unit', unitLabel(call.unit_alpha_tag, call.unit)],
      ['Start', call.start_time ? `${call.start_time} (${clock(Date.parse(call.start_time))})` : ''],
      ['Stop', call.stop_time || 'in progress'],
      ['Length', seconds(call.duration)],
      ['Frequency', mhz(call.freq)],
      ['Flags', [call.emergency && 'emergency', call.encrypted && 'encrypted'].filter(Boolean).join(', ') || 'none'],
      ['Audio', call.audio_type || ''],
      ['Errors / spikes', `${call.error_count ?? ''} / ${call.spike_count ?? ''}`],
      ['Signal / noise', `${call.signal ?? ''} / ${call.noise ?? ''}`],
      ['trunk-recorder id', call.tr_call_id],
    ];
    box.replaceChildren(
      el('h3', null, `Call ${call.id}`, ' ', el('button', { type: 'button', id: 'call-close', onclick: back }, 'Close')),
      audio || el('p', { class: 'muted' }, 'No audio stored for this call.'),
      el('dl', { class: 'fields' }, fields.flatMap(([k, v]) => [el('dt', null, k), el('dd', null, v)])),
      txs.length ? el('table', null,
        el('thead', null, el('tr', null, ['Unit', 'Start', 'Position', 'Length'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', null, txs.map((t) => el('tr', null, el('td', null, String(t.unit)), el('td', null, t.start_time || ''),
          el('td', null, String(t.position ?? '')), el('td', null, seconds(t.duration)))))) : null);
  }

  return { show, close };
}
