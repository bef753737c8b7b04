// Job detail: arguments, result, each attempt's error or webhook response, timings, limits and the
// trace id where the job carries one, with the actions its state allows. It reloads on live events.

import { get, post, ApiError } from './api.js';
import { h, replace, timestamp, stateBadge, duration, throttle, toast } from './dom.js';
import { onEvent } from './events.js';

const actions = [
  { action: 'retry', label: 'Retry', states: ['scheduled', 'available', 'retryable', 'completed', 'cancelled', 'discarded'] },
  { action: 'run', label: 'Run now', states: ['scheduled', 'retryable'] },
  { action: 'cancel', label: 'Cancel', states: ['scheduled', 'available', 'retryable', 'running'] },
  { action: 'discard', label: 'Discard', states: ['scheduled', 'available', 'retryable'] },
];

// Members shown in their own places; any other member is listed under "More".
const known = new Set(['id', 'kind', 'queue', 'state', 'args', 'priority', 'attempt', 'max_attempts',
  'timeout_seconds', 'tags', 'scheduled_at', 'created_at', 'attempted_at', 'finished_at', 'cancel_requested_at',
  'worker_id', 'lease_expires_at', 'errors', 'result', 'concurrency', 'rate_limit', 'discard_after',
  'trace_id', 'traceparent', 'attempts']);

export function render(main, route) {
  const id = route.segments[1];
  let stopped = false;

  const load = async () => {
    try {
      const job = await get(`/v1/jobs/${encodeURIComponent(id)}`);
      if (!stopped) draw(main, job, load);
    } catch (error) {
      if (stopped) return;
      const text = error instanceof ApiError && error.status === 404
        ? `Job ${id} does not exist, or retention has deleted it.`
        : `Could not load job ${id}: ${error.message}`;
      replace(main, h('h1', {}, `Job ${id}`), h('div', { class: 'error-box' }, text),
        h('a', { href: '#/jobs' }, '← All jobs'));
    }
  };

  replace(main, h('h1', {}, `Job ${id}`), h('div', { class: 'empty' }, 'Loading…'));
  load();
  const reload = throttle(load, 1000);
  const unsubscribe = onEvent((type, data) => {
    if (type !== 'finished' || String(data.id) === id) reload();
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}

function traceId(job) {
  if (job.trace_id) return job.trace_id;
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(job.traceparent ?? '');
  return match ? match[1] : null;
}

function draw(main, job, reload) {
  const act = async (item, button) => {
    button.disabled = true;
    try {
      await post(`/v1/jobs/${job.id}/${item.action}`);
      toast(`${item.label}: job ${job.id} done.`);
      reload();
    } catch (error) {
      toast(`${item.label} failed: ${error.message}`, true);
      button.disabled = false;
    }
  };
  const buttons = actions
    .filter((item) => item.states.includes(job.state))
    .filter((item) => !(item.action === 'cancel' && job.cancel_requested_at))
    .map((item) => h('button', {
      type: 'button', class: `action ${item.action === 'retry' ? 'primary' : ''}`, dataset: { action: item.action },
      onclick: (event) => act(item, event.currentTarget),
    }, item.label));

  const trace = traceId(job);
  const ran = job.attempted_at && job.finished_at
    ? duration((Date.parse(job.finished_at) - Date.parse(job.attempted_at)) / 1000) : null;
  const facts = [
    ['queue', h('a', { href: `#/jobs?queue=${encodeURIComponent(job.queue)}` }, job.queue)],
    ['kind', h('a', { href: `#/jobs?kind=${encodeURIComponent(job.kind)}` }, job.kind)],
    ['attempt', `${job.attempt} of ${job.max_attempts}`],
    ['priority', job.priority],
    ['timeout', job.timeout_seconds ? `${job.timeout_seconds} s per attempt` : 'none'],
    ['tags', job.tags?.length ? job.tags.map((tag) =>
      h('a', { class: 'badge', href: `#/jobs?tag=${encodeURIComponent(tag)}` }, tag)) : '—'],
    ['created', timestamp(job.created_at)],
    ['due', timestamp(job.scheduled_at)],
    ['last attempt started', timestamp(job.attempted_at)],
    ['finished', timestamp(job.finished_at)],
    ['last attempt took', ran ?? '—'],
    job.cancel_requested_at ? ['cancel requested', timestamp(job.cancel_requested_at)] : null,
    job.worker_id ? ['worker', h('a', { href: '#/workers' }, job.worker_id)] : null,
    job.lease_expires_at ? ['lease expires', timestamp(job.lease_expires_at)] : null,
    job.discard_after ? ['discard after', timestamp(job.discard_after)] : null,
    job.concurrency ? ['concurrency', `at most ${job.concurrency.limit} running with key ${job.concurrency.key}`] : null,
    job.rate_limit ? ['rate limit',
      `${job.rate_limit.limit} starts per ${job.rate_limit.period_seconds} s with key ${job.rate_limit.key}`] : null,
    trace ? ['trace id', h('code', { id: 'trace-id' }, trace)] : null,
  ].filter(Boolean);
  const more = Object.entries(job).filter(([name]) => !known.has(name));

  replace(main,
    h('h1', {}, `Job ${job.id}`, stateBadge(job.state), h('span', { class: 'muted' }, job.kind),
      h('span', { class: 'spacer' }), h('span', { class: 'actions' }, buttons)),
    h('div', { class: 'grid two' },
      h('div', { class: 'panel' }, h('h2', {}, 'Details'),
        h('dl', { class: 'facts' }, facts.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value)]))),
      h('div', {},
        h('div', { class: 'panel' }, h('h2', {}, 'Arguments'), h('pre', { id: 'job-args' }, JSON.stringify(job.args, null, 2))),
        job.result !== undefined && job.result !== null
          ? h('div', { class: 'panel' }, h('h2', {}, 'Result'), h('pre', {}, JSON.stringify(job.result, null, 2)))
          : null)),
    h('div', { class: 'panel', id: 'attempts' },
      h('h2', {}, `Errors (${job.errors?.length ?? 0})`),
      job.errors?.length ? [...job.errors].reverse().map(errorEntry) : h('div', { class: 'muted' }, 'No attempt has failed.')),
    job.attempts ? h('div', { class: 'panel' }, h('h2', {}, 'Attempts'),
      h('pre', {}, JSON.stringify(job.attempts, null, 2))) : null,
    more.length ? h('div', { class: 'panel' }, h('h2', {}, 'More'),
      h('pre', {}, JSON.stringify(Object.fromEntries(more), null, 2))) : null,
    h('details', { class: 'panel' }, h('summary', {}, 'Raw JSON'), h('pre', {}, JSON.stringify(job, null, 2))));
}

function errorEntry(error) {
  const released = ['shutdown', 'circuit_open'].includes(error.reason);
  const extra = Object.entries(error)
    .filter(([name, value]) => !['attempt', 'at', 'reason', 'message'].includes(name) && value !== null && value !== undefined);
  return h('div', { class: released ? 'attempt released' : 'attempt' },
    h('header', {},
      h('strong', {}, `Attempt ${error.attempt}`),
      error.reason ? h('span', { class: 'badge' }, error.reason) : null,
      h('span', { class: 'muted' }, timestamp(error.at))),
    h('div', { class: 'error-text' }, error.message ?? ''),
    extra.length ? h('dl', { class: 'facts' }, extra.map(([name, value]) => [
      h('dt', {}, name),
      h('dd', {}, typeof value === 'object' ? h('pre', {}, JSON.stringify(value, null, 2)) : String(value)),
    ])) : null);
}
