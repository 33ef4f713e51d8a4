// The live audio queue's engine: one per page, so listening goes on while other panels are
// shown. It owns the /api/ws "calls" stream, the <audio> element and the queue; the Queue
// panel is only its view. Choices (hold, avoid, pause) are kept in localStorage.

import * as core from './queue-core.js';

const PREFS_KEY = 'radio.queue';
const HISTORY_CAP = 50;

class QueueEngine {
  constructor() {
    this.ctx = null;
    this.prefs = core.defaultPrefs();
    this.queue = [];
    this.current = null;
    this.last = null;
    this.history = []; // newest first: {call, outcome}
    this.started = false;
    this.note = '';
    this.audio = null;
    this.stream = null;
    this.listeners = new Set();
  }

  /** Bind to the shell's ctx (first panel mount); reads the stored choices once. */
  init(ctx) {
    if (this.ctx) return;
    this.ctx = ctx;
    this.prefs = core.readPrefs(ctx.store.get(PREFS_KEY));
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed() {
    for (const fn of this.listeners) fn();
  }

  savePrefs(prefs) {
    this.prefs = prefs;
    this.ctx.store.set(PREFS_KEY, prefs);
    this.queue = core.prune(this.queue, prefs, Date.now());
    if (this.current && !core.admits(prefs, this.current, Date.now())) this.finish('skipped');
    this.changed();
    this.next();
  }

  /** "Start listening": runs in the click, which lets the page play audio from then on. */
  start() {
    if (!this.audio) {
      const audio = document.createElement('audio');
      audio.id = 'queue-audio';
      audio.preload = 'auto';
      audio.hidden = true;
      audio.addEventListener('ended', () => this.finish('played'));
      audio.addEventListener('error', () => this.current && this.finish('error'));
      document.body.append(audio); // outside any panel: switching panels must not stop it
      this.audio = audio;
    }
    this.started = true;
    this.note = '';
    if (!this.stream) {
      this.stream = this.ctx.stream('/api/ws', {
        name: 'Audio queue',
        params: { view: 'queue' }, // its own connection: the Radio panel's filters are per connection
        onOpen: () => this.stream.send({ action: 'subscribe', channels: ['calls'] }),
        onMessage: (msg) => this.onMessage(msg),
      });
    }
    this.changed();
    this.next();
  }

  stop() {
    this.started = false;
    if (this.stream) this.stream.close();
    this.stream = null;
    if (this.audio) this.audio.pause();
    if (this.current) this.queue.unshift(this.current);
    this.current = null;
    this.changed();
  }

  /** Sign-out: stop, and forget the session's calls (the stored choices stay). */
  reset() {
    this.stop();
    this.queue = [];
    this.last = null;
    this.history = [];
    this.changed();
  }

  onMessage(msg) {
    if (!msg || msg.event !== 'audio_available') return;
    this.queue = core.enqueue(this.queue, this.prefs, core.queuedCall(msg.data || {}), Date.now());
    this.changed();
    this.next();
  }

  /** Play the next admitted call unless paused, not started or already playing. */
  next() {
    if (!this.started || this.prefs.paused || this.current) return;
    this.queue = core.prune(this.queue, this.prefs, Date.now());
    const call = this.queue.shift();
    if (!call) return this.changed();
    this.current = call;
    this.audio.src = this.ctx.url(`/api/v1/calls/${call.id}/audio`);
    this.audio.play().catch((err) => {
      if (err && err.name === 'NotAllowedError') {
        // The browser still blocks autoplay: put the call back and ask for a click.
        this.queue.unshift(call);
        this.current = null;
        this.started = false;
        this.note = 'The browser blocked playback: press "Start listening".';
        this.changed();
      }
    });
    this.changed();
  }

  finish(outcome) {
    const call = this.current;
    if (!call) return;
    this.current = null;
    if (this.audio) this.audio.pause();
    this.last = call;
    this.history.unshift({ call, outcome });
    if (this.history.length > HISTORY_CAP) this.history.length = HISTORY_CAP;
    this.changed();
    this.next();
  }

  skip() {
    this.finish('skipped');
  }

  togglePause() {
    const paused = !this.prefs.paused;
    this.prefs = { ...this.prefs, paused };
    this.ctx.store.set(PREFS_KEY, this.prefs);
    if (paused && this.audio) this.audio.pause();
    else if (this.current && this.audio) this.audio.play().catch(() => {});
    this.changed();
    this.next();
  }

  /** Play the last finished call again now; what was playing goes back to the queue front. */
  replay() {
    if (!this.last) return;
    if (this.current) {
      this.audio.pause();
      this.queue.unshift(this.current);
      this.current = null;
    }
    this.queue.unshift(this.last);
    const paused = this.prefs.paused;
    this.prefs = { ...this.prefs, paused: false };
    if (paused) this.ctx.store.set(PREFS_KEY, this.prefs);
    this.changed();
    this.next();
  }

  hold(call, kind) {
    this.savePrefs(core.hold(this.prefs, call, kind));
  }

  avoid(call, minutes) {
    this.savePrefs(core.avoid(this.prefs, call, minutes, Date.now()));
  }

  clearAvoid(call) {
    this.savePrefs(core.clearAvoid(this.prefs, call, Date.now()));
  }
}

export const engine = new QueueEngine();
