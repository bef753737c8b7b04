// Workers: live processes from GET /v1/processes, their pools and the attempts each one runs.

import { get } from './api.js';
import { h, replace, number, relative, duration, throttle } from './dom.js';
import { onEvent } from './events.js';

export function render(main) {
  const list = h('div', {}, h('div', { class: 'empty' }, 'Loading…'));
  replace(main, h('h1', {}, 'Workers'), list);
  let stopped = false;

  const load = async () => {
    try {
      const result = await get('/v1/processes');
      if (!stopped) draw(list, result.processes);
    } catch (error) {
      if (!stopped) replace(list, h('div', { class: 'error-box' }, `Could not load workers: ${error.message}`));
    }
  };

  load();
  const reload = throttle(load, 2000);
  const unsubscribe = onEvent(reload);
  const timer = setInterval(load, 5000);
  return () => {
    stopped = true;
    unsubscribe();
    clearInterval(timer);
  };
}

function draw(list, processes) {
  if (processes.length === 0) {
    replace(list, h('div', { class: 'panel empty' },
      'No worker process is running. Workers register when they start and refresh their entry with each heartbeat.'));
    return;
  }
  const running = processes.reduce((sum, process) => sum + process.running.length, 0);
  replace(list,
    h('p', { class: 'muted' }, `${number(processes.length)} processes, ${number(running)} jobs running.`),
    processes.map((process) => h('section', { class: 'panel process', dataset: { worker: process.id } },
      h('header', {},
        h('h2', {}, process.id),
        h('span', { class: 'muted' }, `${process.host}, pid ${process.pid}`),
        h('span', { class: 'muted' }, `started ${relative(process.started_at)}, heartbeat ${relative(process.heartbeat_at)}`)),
      h('div', { class: 'grid two' },
        h('div', {},
          h('table', {},
            h('thead', {}, h('tr', {}, h('th', {}, 'pool'), h('th', { class: 'num' }, 'busy'), h('th', {}, ''))),
            h('tbody', {}, process.pools.map((pool) => {
              const meter = h('span', {});
              meter.style.width = `${pool.slots ? Math.round((100 * pool.busy) / pool.slots) : 0}%`;
              return h('tr', {},
                h('td', {}, h('code', {}, pool.name)),
                h('td', { class: 'num' }, `${pool.busy} / ${pool.slots}`),
                h('td', {}, h('div', { class: 'meter' }, meter)));
            }))),
          h('p', { class: 'hint' }, 'Kinds: ', process.kinds.length ? process.kinds.join(', ') : 'none registered')),
        h('div', {},
          process.running.length === 0
            ? h('div', { class: 'muted' }, 'Idle.')
            : h('table', {},
              h('thead', {}, h('tr', {}, ['job', 'kind', 'queue', 'attempt', 'running for'].map((name) => h('th', {}, name)))),
              h('tbody', {}, process.running.map((job) => h('tr', {},
                h('td', {}, h('a', { href: `#/jobs/${job.id}` }, job.id)),
                h('td', {}, job.kind),
                h('td', {}, job.queue),
                h('td', { class: 'num' }, job.attempt),
                h('td', {}, job.attempted_at ? duration((Date.now() - Date.parse(job.attempted_at)) / 1000) : '—'))))))))));
}
