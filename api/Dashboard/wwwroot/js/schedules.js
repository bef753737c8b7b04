// Schedules: the cron schedules from GET /v1/schedules, with enable, disable and run now. A server
// without schedules answers 404, which the page reports instead of failing.

import { get, post, ApiError } from './api.js';
import { h, replace, timestamp, throttle, toast } from './dom.js';
import { onEvent } from './events.js';

export function render(main) {
  const panel = h('div', { class: 'panel' }, h('div', { class: 'empty' }, 'Loading…'));
  replace(main, h('h1', {}, 'Schedules'), panel);
  let stopped = false;

  const load = async () => {
    try {
      const list = await get('/v1/schedules');
      if (!stopped) draw(panel, list.items ?? [], load);
    } catch (error) {
      if (stopped) return;
      if (error instanceof ApiError && error.status === 404) {
        replace(panel, h('div', { class: 'notice', id: 'schedules-unavailable' },
          'This server has no schedules API (GET /v1/schedules returned 404), so there are no schedules to show.'));
      } else {
        replace(panel, h('div', { class: 'error-box' }, `Could not load schedules: ${error.message}`));
      }
    }
  };

  load();
  const reload = throttle(load, 5000);
  const unsubscribe = onEvent((type) => { if (type === 'enqueued' || type === 'reset') reload(); });
  const timer = setInterval(load, 30000);
  return () => {
    stopped = true;
    unsubscribe();
    clearInterval(timer);
  };
}

function draw(panel, schedules, reload) {
  if (schedules.length === 0) {
    replace(panel, h('div', { class: 'empty' }, 'No schedules are defined.'));
    return;
  }
  const act = async (schedule, action, button) => {
    button.disabled = true;
    try {
      const result = await post(`/v1/schedules/${encodeURIComponent(schedule.name)}/${action}`);
      toast(action === 'run' && result?.id
        ? `Schedule ${schedule.name} enqueued job ${result.id}.`
        : `Schedule ${schedule.name} ${action}d.`);
      reload();
    } catch (error) {
      toast(`Could not ${action} ${schedule.name}: ${error.message}`, true);
      button.disabled = false;
    }
  };
  const button = (schedule, action, label) => h('button', {
    type: 'button', class: 'small action', dataset: { action },
    onclick: (event) => act(schedule, action, event.currentTarget),
  }, label);

  replace(panel, h('div', { class: 'table-wrap' }, h('table', { id: 'schedules' },
    h('thead', {}, h('tr', {},
      ['name', 'cron', 'job', 'status', 'next run', 'last run', 'source', ''].map((name) => h('th', {}, name)))),
    h('tbody', {}, schedules.map((schedule) => h('tr', { dataset: { name: schedule.name } },
      h('td', {}, schedule.name),
      h('td', {}, h('code', {}, schedule.cron), schedule.time_zone ? h('div', { class: 'hint' }, schedule.time_zone) : null),
      h('td', {}, schedule.job?.kind ?? '', h('div', { class: 'hint' }, `queue ${schedule.job?.queue ?? 'default'}`)),
      h('td', {}, h('span', { class: `badge ${schedule.enabled ? 'state-active' : 'state-cancelled'}` },
        schedule.enabled ? 'enabled' : 'disabled')),
      h('td', {}, schedule.enabled ? timestamp(schedule.next_run_at) : h('span', { class: 'muted' }, '—')),
      h('td', {}, timestamp(schedule.last_run_at),
        schedule.last_job_id ? h('div', {}, h('a', { href: `#/jobs/${schedule.last_job_id}` }, `job ${schedule.last_job_id}`)) : null),
      h('td', {}, schedule.source ?? ''),
      h('td', {}, h('span', { class: 'actions' },
        schedule.enabled ? button(schedule, 'disable', 'Disable') : button(schedule, 'enable', 'Enable'),
        button(schedule, 'run', 'Run now')))))))));
}
