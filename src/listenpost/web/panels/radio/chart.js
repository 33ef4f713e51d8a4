// Decode rate per system over time, drawn with the vendored uPlot. The container carries
// data-points (points drawn) so the page's state can be read without pixels.

import uPlot from '/ui/vendor/uplot-1.6.32/uPlot.esm.js';
import { stylesheet } from './format.js';

const COLOURS = ['#2b7bd6', '#d6532b', '#2ba84a', '#9b4dca', '#c9a400', '#1aa3a3', '#d63384'];

/** uPlot wants one x array: the union of every system's times, null where a system has none. */
export function aligned(rates) {
  const systems = [...rates.keys()].sort();
  const xs = [...new Set(systems.flatMap((s) => rates.get(s).t))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = systems.map((s) => {
    const col = new Array(xs.length).fill(null);
    const { t, v } = rates.get(s);
    t.forEach((x, i) => { col[index.get(x)] = v[i]; });
    return col;
  });
  return { systems, data: [xs, ...ys] };
}

export function rateChart(box) {
  stylesheet('/ui/vendor/uplot-1.6.32/uPlot.min.css');
  let plot = null;
  let names = '';
  const width = () => Math.max(280, box.clientWidth || 600);
  const resize = new ResizeObserver(() => plot?.setSize({ width: width(), height: 200 }));
  resize.observe(box);

  function timeWindow(xs) {
    const last = xs[xs.length - 1];
    plot.setScale('x', { min: Math.min(xs[0], last - 600), max: last + 5 });
  }

  function make(systems, data) {
    plot?.destroy();
    plot = new uPlot({
      width: width(),
      height: 200,
      scales: {
        x: { time: true, auto: false }, // set by timeWindow(): at least the last 10 minutes
        y: { range: [0, 45] }, // tr-engine's max_rate is 40
      },
      axes: [{}, { label: 'msgs/s', size: 50 }],
      series: [{}, ...systems.map((s, i) => ({
        label: s, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true,
      }))],
    }, data, box);
  }

  return {
    update(rates) {
      const { systems, data } = aligned(rates);
      box.dataset.points = String(data.slice(1).reduce((n, col) => n + col.filter((v) => v != null).length, 0));
      box.dataset.systems = systems.join(',');
      if (!systems.length) return;
      if (systems.join('\n') !== names) {
        names = systems.join('\n');
        make(systems, data);
      } else {
        plot.setData(data, false);
      }
      timeWindow(data[0]);
    },
    destroy() {
      resize.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
