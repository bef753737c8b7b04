// Jobs: lists by state, queue, kind, tag, error text and argument search, newest first with keyset
// pages, and bulk actions on everything the filter matches after a confirmation that states the
// count. The first page reloads on live events, and new rows are highlighted.

import { get, post, query } from './api.js';
import { h, replace, number, relative, stateBadge, preview, throttle, toast } from './dom.js';
import { onEvent } from './events.js';

const states = ['available', 'scheduled', 'running', 'retryable', 'completed', 'cancelled', 'discarded'];
const filterNames = ['queue', 'kind', 'tag', 'error', 'args'];
const pageSize = 50;

// Which states each bulk action changes, as the API documents them.
const bulkActions = [
  { action: 'retry', label: 'Retry', past: 'Retried', states: ['scheduled', 'retryable', 'completed', 'cancelled', 'discarded'] },
  { action: 'run', label: 'Run now', past: 'Made due now', states: ['scheduled', 'retryable'] },
  { action: 'cancel', label: 'Cancel', past: 'Cancelled', states: ['scheduled', 'available', 'retryable', 'running'] },
  { action: 'discard', label: 'Discard', past: 'Discarded', states: ['scheduled', 'available', 'retryable'] },
];

function filterFrom(params) {
  const filter = {};
  for (const name of ['state', ...filterNames]) {
    const value = params.get(name);
    if (value) filter[name] = value;
  }
  return filter;
}

function hashFor(filter, pageToken) {
  return `#/jobs${query({ ...filter, page_token: pageToken })}`;
}

function describe(filter) {
  const parts = Object.entries(filter).map(([name, value]) => `${name} = ${value}`);
  return parts.length ? parts.join(', ') : 'no filter';
}

export function render(main, route) {
  const filter = filterFrom(route.params);
  const pageToken = route.params.get('page_token');
  const errorBox = h('div', { class: 'error-box', hidden: true });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const body = h('tbody', {});
  const pager = h('div', { class: 'pager' });
  const bulk = h('div', { class: 'bulk' });

  replace(main,
    h('h1', {}, 'Jobs'),
    tabs,
    filterForm(filter),
    bulk,
    errorBox,
    h('div', { class: 'panel' },
      h('div', { class: 'table-wrap' }, h('table', { id: 'jobs' },
        h('thead', {}, h('tr', {},
          h('th', {}, 'id'), h('th', {}, 'state'), h('th', {}, 'kind'), h('th', {}, 'queue'),
          h('th', { class: 'num' }, 'attempt'), h('th', {}, 'args'), h('th', {}, 'last error'),
          h('th', {}, 'created'), h('th', {}, 'due / finished'))),
        body)),
      pager));

  drawBulk(bulk, filter, () => load());

  let stopped = false;
  let seenMaxId = null;
  const load = async () => {
    try {
      const page = await get(`/v1/jobs${query({ ...filter, page_size: pageSize, page_token: pageToken })}`);
      if (stopped) return;
      errorBox.hidden = true;
      drawRows(body, page.jobs, seenMaxId);
      seenMaxId = Math.max(seenMaxId ?? 0, ...page.jobs.map((job) => job.id));
      drawPager(pager, filter, pageToken, page.next_page_token);
    } catch (error) {
      if (stopped) return;
      errorBox.hidden = false;
      errorBox.textContent = `Could not load jobs: ${error.message}`;
    }
  };

  const loadCounts = async () => {
    try {
      const stats = await get('/v1/stats?window_minutes=5');
      if (stopped) return;
      const queue = filter.queue ? stats.queues.find((q) => q.name === filter.queue) : null;
      const counts = filter.queue ? queue?.counts ?? {} : stats.totals;
      // Counts per state are exact only for a filter of queue and state alone.
      const exact = !filterNames.some((name) => name !== 'queue' && filter[name]);
      drawTabs(tabs, filter, exact ? counts : null);
    } catch {
      drawTabs(tabs, filter, null);
    }
  };

  drawTabs(tabs, filter, null);
  load();
  loadCounts();
  const reload = throttle(() => {
    if (!pageToken) load();
    loadCounts();
  }, 1000);
  const unsubscribe = onEvent(reload);
  const timer = setInterval(reload, 15000);
  return () => {
    stopped = true;
    unsubscribe();
    clearInterval(timer);
  };
}

function drawTabs(tabs, filter, counts) {
  const { state, ...rest } = filter;
  const tab = (value, label) => h('a', {
    href: hashFor(value ? { ...rest, state: value } : rest),
    class: (state ?? '') === (value ?? '') ? 'active' : '',
    role: 'tab',
    dataset: { state: value ?? 'all' },
  }, label, counts && value ? h('span', { class: 'count' }, number(counts[value] ?? 0)) : null);
  replace(tabs, tab(null, 'all'), states.map((value) => tab(value, value)));
}

function filterForm(filter) {
  const inputs = {};
  const field = (name, label, placeholder) => {
    inputs[name] = h('input', { name, value: filter[name] ?? '', placeholder, 'aria-label': label });
    return h('label', {}, label, inputs[name]);
  };
  const submit = (event) => {
    event.preventDefault();
    const next = filter.state ? { state: filter.state } : {};
    for (const name of filterNames) {
      const value = inputs[name].value.trim();
      if (value) next[name] = value;
    }
    if (next.args) {
      try {
        const parsed = JSON.parse(next.args);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
        next.args = JSON.stringify(parsed);
        inputs.args.classList.remove('invalid');
      } catch {
        inputs.args.classList.add('invalid');
        toast('Arguments must be a JSON object, such as {"customer_id": 42}.', true);
        return;
      }
    }
    window.location.hash = hashFor(next);
  };
  return h('form', { class: 'filters', id: 'job-filters', onsubmit: submit },
    field('queue', 'Queue', 'any'),
    field('kind', 'Kind', 'any'),
    field('tag', 'Tag', 'any'),
    field('error', 'Error text', 'message or reason contains'),
    field('args', 'Arguments contain', '{"customer_id": 42}'),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Filter'),
      h('a', { href: filter.state ? hashFor({ state: filter.state }) : '#/jobs' }, 'Clear')));
}

function drawBulk(bulk, filter, reload) {
  const usable = bulkActions.filter((item) => !filter.state || item.states.includes(filter.state));
  if (usable.length === 0) {
    replace(bulk);
    return;
  }
  const run = async (item, button) => {
    button.disabled = true;
    try {
      const count = await get(`/v1/jobs/count${query({ ...filter, action: item.action })}`);
      if (count.count === 0) {
        toast(`No job that matches (${describe(filter)}) can be changed by ${item.label.toLowerCase()}.`);
        return;
      }
      const confirmed = await confirmDialog(
        `${item.label} ${number(count.count)} jobs?`,
        `${item.label} every job that matches ${describe(filter)} and is ${item.states.join(', ')}: ` +
        `${number(count.count)} jobs now. Jobs enqueued after this count are left alone.`,
        `${item.label} ${number(count.count)} jobs`);
      if (!confirmed) return;
      const result = await post('/v1/jobs/bulk', {
        action: item.action, filter: bulkFilter(filter), max_id: count.max_id,
      });
      toast(`${item.past} ${number(result.changed)} jobs.`);
      reload();
    } catch (error) {
      toast(`${item.label} failed: ${error.message}`, true);
    } finally {
      button.disabled = false;
    }
  };
  replace(bulk,
    h('span', { class: 'muted action' }, 'All matching jobs:'),
    usable.map((item) => h('button', {
      type: 'button', class: 'small action', dataset: { bulk: item.action },
      onclick: (event) => run(item, event.currentTarget),
    }, `${item.label}…`)));
}

function bulkFilter(filter) {
  const result = { ...filter };
  if (result.args) result.args = JSON.parse(result.args);
  return result;
}

/** Shows the confirmation dialog and resolves to true when the user confirms. */
export function confirmDialog(title, text, okLabel) {
  const dialog = document.getElementById('confirm-dialog');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

function drawRows(body, jobs, seenMaxId) {
  if (jobs.length === 0) {
    replace(body, h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'No jobs match.')));
    return;
  }
  replace(body, jobs.map((job) => {
    const lastError = job.errors?.length ? job.errors[job.errors.length - 1] : null;
    const when = job.finished_at ?? job.scheduled_at;
    return h('tr', { class: seenMaxId !== null && job.id > seenMaxId ? 'fresh' : '', dataset: { id: job.id } },
      h('td', {}, h('a', { href: `#/jobs/${job.id}` }, job.id)),
      h('td', {}, stateBadge(job.state)),
      h('td', {}, job.kind),
      h('td', {}, job.queue),
      h('td', { class: 'num' }, `${job.attempt}/${job.max_attempts}`),
      h('td', { class: 'mono truncate', title: preview(job.args, 2000) }, preview(job.args)),
      h('td', { class: 'truncate error-text', title: lastError?.message ?? '' }, lastError?.message ?? ''),
      h('td', { title: job.created_at }, relative(job.created_at)),
      h('td', { title: when }, relative(when)));
  }));
}

function drawPager(pager, filter, pageToken, nextToken) {
  replace(pager,
    pageToken ? h('a', { class: 'button', href: hashFor(filter) }, '← Newest') : null,
    nextToken ? h('a', { class: 'button', href: hashFor(filter, nextToken), id: 'older' }, 'Older →') : null);
}
