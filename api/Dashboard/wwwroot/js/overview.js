// Overview: totals by state, throughput and failures over time, and per queue counts, latency and
// pause/resume. It reloads on live events (at most every 2 seconds) and every 15 seconds.

import { get, post } from './api.js';
import { h, replace, number, duration, throttle, toast } from './dom.js';
import { onEvent } from './events.js';
import { stackedBars } from './charts.js';

const states = ['available', 'scheduled', 'running', 'retryable', 'completed', 'cancelled', 'discarded'];
const windows = [[60, '1 hour'], [360, '6 hours'], [1440, '24 hours']];

export function render(main, route) {
  const windowMinutes = Number(route.params.get('window')) || 60;
  const errorBox = h('div', { class: 'error-box', hidden: true });
  const cards = h('div', { class: 'cards' });
  const throughput = h('div', { class: 'panel' });
  const failures = h('div', { class: 'panel' });
  const queues = h('div', { class: 'panel' });
  const select = h('select', {
    'aria-label': 'Chart window',
    onchange: (event) => { window.location.hash = `#/?window=${event.target.value}`; },
  }, windows.map(([minutes, label]) =>
    h('option', { value: minutes, selected: minutes === windowMinutes }, label)));

  replace(main,
    h('h1', {}, 'Overview', h('span', { class: 'spacer' }), select),
    errorBox, cards, h('div', { class: 'grid two' }, throughput, failures), queues);

  let stopped = false;
  const load = async () => {
    try {
      const stats = await get(`/v1/stats?window_minutes=${windowMinutes}`);
      if (stopped) return;
      errorBox.hidden = true;
      drawCards(cards, stats.totals, stats.estimated);
      replace(throughput, stackedBars({
        title: 'Finished jobs', buckets: stats.throughput, bucketSeconds: stats.bucket_seconds,
        series: [
          { key: 'completed', label: 'completed', color: '#34b36b', swatch: 'completed' },
          { key: 'cancelled', label: 'cancelled', color: '#a0a7b4', swatch: 'cancelled' },
        ],
      }));
      replace(failures, stackedBars({
        title: 'Failures (discarded)', buckets: stats.throughput, bucketSeconds: stats.bucket_seconds,
        series: [{ key: 'discarded', label: 'discarded', color: '#e05252', swatch: 'discarded' }],
      }));
      drawQueues(queues, stats.queues, load);
    } catch (error) {
      if (stopped) return;
      errorBox.hidden = false;
      errorBox.textContent = `Could not load the statistics: ${error.message}`;
    }
  };

  load();
  const reload = throttle(load, 2000);
  const unsubscribe = onEvent(reload);
  const timer = setInterval(load, 15000);
  return () => {
    stopped = true;
    unsubscribe();
    clearInterval(timer);
  };
}

// On a large table the server estimates the finished counts from a sample; they are marked "≈".
function drawCards(cards, totals, estimated) {
  const final = ['completed', 'cancelled', 'discarded'];
  replace(cards, states.map((state) =>
    h('a', { class: 'card', href: `#/jobs?state=${state}`, dataset: { state } },
      h('div', { class: 'label' }, state),
      h('div', { class: 'value', title: estimated && final.includes(state) ? 'Estimated from a sample' : null },
        estimated && final.includes(state) ? '≈ ' : '', number(totals[state])))));
}

function drawQueues(panel, queues, reload) {
  if (queues.length === 0) {
    replace(panel, h('h2', {}, 'Queues'), h('div', { class: 'empty' }, 'No queue has jobs yet.'));
    return;
  }

  const rows = queues.map((queue) => {
    const link = (state) => queue.counts[state] === 0
      ? h('span', { class: 'muted' }, '0')
      : h('a', { href: `#/jobs?queue=${encodeURIComponent(queue.name)}&state=${state}` }, number(queue.counts[state]));
    const toggle = async (button) => {
      const action = queue.paused ? 'resume' : 'pause';
      button.disabled = true;
      try {
        await post(`/v1/queues/${encodeURIComponent(queue.name)}/${action}`);
        toast(`Queue ${queue.name} ${action === 'pause' ? 'paused' : 'resumed'}.`);
        reload();
      } catch (error) {
        toast(`Could not ${action} ${queue.name}: ${error.message}`, true);
        button.disabled = false;
      }
    };
    return h('tr', { dataset: { queue: queue.name } },
      h('td', {}, h('a', { href: `#/jobs?queue=${encodeURIComponent(queue.name)}` }, queue.name)),
      h('td', {}, h('span', { class: `badge ${queue.paused ? 'state-paused' : 'state-active'}` },
        queue.paused ? 'paused' : 'running')),
      states.map((state) => h('td', { class: 'num' }, link(state))),
      h('td', { class: 'num', title: queue.oldest_available_at ?? '' },
        queue.counts.available > 0 ? duration(queue.latency_seconds) : '—'),
      h('td', {}, h('button', {
        class: 'small action', type: 'button',
        onclick: (event) => toggle(event.currentTarget),
      }, queue.paused ? 'Resume' : 'Pause')));
  });

  replace(panel,
    h('h2', {}, 'Queues'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'queues' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'queue'), h('th', {}, 'status'),
        states.map((state) => h('th', { class: 'num' }, state)),
        h('th', { class: 'num', title: 'How long the oldest available job has waited' }, 'latency'),
        h('th', {}, ''))),
      h('tbody', {}, rows))));
}
