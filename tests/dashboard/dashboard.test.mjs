// Browser tests of the dashboard in headless Chromium, against a running API and worker.
//
//   JOBQUEUE_API_URL      base URL of the API, such as http://127.0.0.1:56601 (required)
//   JOBQUEUE_SCREENSHOTS  folder to write a screenshot of each main page to (optional)
//   CHROMIUM_PATH         the Chromium binary; /usr/bin/chromium (Debian's package) by default
//
// Each test makes queues of its own with a random suffix, so the tests do not depend on what else
// the database holds.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const apiUrl = process.env.JOBQUEUE_API_URL?.replace(/\/$/, '');
if (!apiUrl) throw new Error('Set JOBQUEUE_API_URL to the base URL of a running API.');
const screenshots = process.env.JOBQUEUE_SCREENSHOTS;
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const suffix = Math.random().toString(36).slice(2, 8);
const timeout = 15000;

// The flags keep Chromium from reaching any network service of its own.
const chromiumFlags = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

let context;
let page;
let profile;
const pageErrors = [];
const consoleErrors = [];

async function launch() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'jobqueue-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath, headless: true, args: chromiumFlags, viewport: { width: 1440, height: 900 },
  });
  return { browser, userDataDir };
}

before(async () => {
  ({ browser: context, userDataDir: profile } = await launch());
  page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // The schedules API comes with its own feature; until a server has it, GET /v1/schedules is 404.
    const expected = message.location().url.endsWith('/v1/schedules') && message.text().includes('404');
    if (message.type() === 'error' && !expected) consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  if (screenshots) mkdirSync(screenshots, { recursive: true });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function api(method, path, body) {
  const response = await fetch(apiUrl + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path} returned ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

const enqueue = (job) => api('POST', '/v1/jobs', job);

/** Polls fn until it returns a truthy value, at most `timeout` ms. */
async function eventually(fn, message) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`${message} (last value: ${JSON.stringify(last)})`);
}

async function waitForState(id, states) {
  return eventually(async () => {
    const job = await api('GET', `/v1/jobs/${id}`);
    return states.includes(job.state) ? job : null;
  }, `job ${id} did not reach ${states.join(' or ')}`);
}

async function shoot(name) {
  if (screenshots) await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

async function open(hash) {
  await page.goto(`${apiUrl}/dashboard/${hash}`);
  await page.locator('#live.on').waitFor();
}

test('overview shows each queue with counts and charts', async () => {
  const queue = `overview-${suffix}`;
  const jobs = await Promise.all([1, 2, 3].map((n) => enqueue({ kind: 'echo', queue, args: { n } })));
  await enqueue({ kind: 'fail', queue, args: { message: 'sample failure' }, max_attempts: 1 });
  await Promise.all(jobs.map((job) => waitForState(job.id, ['completed'])));

  await open('#/');
  const row = page.locator(`#queues tr[data-queue="${queue}"]`);
  await row.waitFor();
  // Columns: queue, status, then the states in the page's order; completed is the 7th cell.
  await eventually(async () => (await row.locator('td').nth(6).innerText()) === '3', 'completed count is not 3');
  assert.equal(await row.locator('.badge').innerText(), 'running');
  assert.equal(await page.locator('.chart svg').count(), 2, 'two charts are drawn');
  assert.ok(Number((await page.locator('.card[data-state="completed"] .value').innerText()).replace(/,/g, '')) >= 3);
  await shoot('overview');
});

test('jobs page filters by queue, error text and arguments', async () => {
  const queue = `filter-${suffix}`;
  const token = `declined-${suffix}`;
  const failed = [];
  for (let i = 0; i < 2; i++) {
    failed.push(await enqueue({ kind: 'fail', queue, args: { message: `card ${token}`, order: i }, max_attempts: 1 }));
  }
  const other = await enqueue({ kind: 'noop', queue, args: { customer: `c-${suffix}` }, delay_seconds: 3600 });
  await Promise.all(failed.map((job) => waitForState(job.id, ['discarded'])));

  await open('#/jobs');
  await page.fill('#job-filters input[name="queue"]', queue);
  await page.click('#job-filters button[type="submit"]');
  await page.locator(`#jobs tr[data-id="${other.id}"]`).waitFor();
  assert.equal(await page.locator('#jobs tbody tr').count(), 3);

  await page.fill('#job-filters input[name="error"]', token.toUpperCase());
  await page.click('#job-filters button[type="submit"]');
  await page.locator(`#jobs tr[data-id="${other.id}"]`).waitFor({ state: 'detached' });
  // The old rows go before the new page arrives, so wait for the kept rows before counting.
  for (const job of failed) await page.locator(`#jobs tr[data-id="${job.id}"]`).waitFor();
  assert.equal(await page.locator('#jobs tbody tr').count(), 2, 'the error filter keeps the two failed jobs');
  assert.match(page.url(), /error=DECLINED/);

  await page.fill('#job-filters input[name="error"]', '');
  await page.fill('#job-filters input[name="args"]', `{"customer": "c-${suffix}"}`);
  await page.click('#job-filters button[type="submit"]');
  await page.locator(`#jobs tr[data-id="${failed[0].id}"]`).waitFor({ state: 'detached' });
  await page.locator(`#jobs tr[data-id="${other.id}"]`).waitFor();
  assert.deepEqual(await page.locator('#jobs tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.id)), [String(other.id)]);

  await page.click('.tabs a[data-state="discarded"]');
  await page.locator('#jobs td.empty').waitFor();
  await open(`#/jobs?queue=${queue}`);
  await shoot('jobs');
});

test('job detail shows the error and retries the job', async () => {
  const queue = `retry-${suffix}`;
  const job = await enqueue({ kind: 'fail', queue, args: { message: `boom ${suffix}` }, max_attempts: 1 });
  await waitForState(job.id, ['discarded']);

  await open(`#/jobs?queue=${queue}&state=discarded`);
  await page.click(`#jobs tr[data-id="${job.id}"] a`);
  await page.locator('h1 .badge.state-discarded').waitFor();
  assert.match(await page.locator('#attempts').innerText(), new RegExp(`boom ${suffix}`));
  assert.match(await page.locator('#job-args').innerText(), /"message"/);
  await shoot('job');

  await page.click('button[data-action="retry"]');
  // The retry gives the job a second attempt, which fails again; the page reloads on the event.
  await page.locator('#attempts .attempt', { hasText: 'Attempt 2' }).waitFor();
  const after = await api('GET', `/v1/jobs/${job.id}`);
  assert.equal(after.attempt, 2);
  assert.equal(after.errors.length, 2);
});

test('bulk cancel of a filter states the count and cancels every match', async () => {
  const queue = `bulk-${suffix}`;
  const jobs = await api('POST', '/v1/jobs/batch', {
    jobs: Array.from({ length: 30 }, (_, n) => ({ kind: 'noop', queue, args: { n }, delay_seconds: 3600 })),
  });
  assert.equal(jobs.jobs?.length ?? jobs.length, 30);
  const keep = await enqueue({ kind: 'noop', queue: `${queue}-other`, delay_seconds: 3600 });

  await open(`#/jobs?queue=${queue}&state=scheduled`);
  await page.locator('#jobs tbody tr[data-id]').first().waitFor();
  await page.click('button[data-bulk="cancel"]');
  const dialog = page.locator('#confirm-dialog');
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /Cancel 30 jobs/);
  await shoot('bulk-confirm');
  await page.click('#confirm-ok');
  await page.locator('.toast', { hasText: 'Cancelled 30 jobs.' }).waitFor();

  const cancelled = await api('GET', `/v1/jobs/count?queue=${queue}&state=cancelled`);
  assert.equal(cancelled.count, 30);
  assert.equal((await api('GET', `/v1/jobs/${keep.id}`)).state, 'scheduled');
  await page.locator('#jobs td.empty').waitFor();
});

test('pausing a queue from the overview stops claims', async () => {
  const queue = `pause-${suffix}`;
  await enqueue({ kind: 'noop', queue, delay_seconds: 3600 });

  await open('#/');
  const row = page.locator(`#queues tr[data-queue="${queue}"]`);
  await row.getByRole('button', { name: 'Pause' }).click();
  await row.locator('.badge.state-paused').waitFor();
  const queues = await api('GET', '/v1/queues');
  assert.equal(queues.queues.find((q) => q.name === queue)?.paused, true);

  const job = await enqueue({ kind: 'noop', queue });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal((await api('GET', `/v1/jobs/${job.id}`)).state, 'available', 'a paused queue keeps its jobs');

  await row.getByRole('button', { name: 'Resume' }).click();
  await row.locator('.badge.state-active').waitFor();
  await waitForState(job.id, ['completed']);
});

test('a new job appears on the jobs page without a reload', async () => {
  const queue = `live-${suffix}`;
  await open(`#/jobs?queue=${queue}`);
  await page.locator('#jobs td.empty').waitFor();
  await page.evaluate(() => { window.notReloaded = true; });

  const job = await enqueue({ kind: 'noop', queue, delay_seconds: 3600 });
  await page.locator(`#jobs tr[data-id="${job.id}"]`).waitFor();
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');

  // A job that becomes available and finishes shows its final state the same way.
  const echo = await enqueue({ kind: 'echo', queue, args: { live: true } });
  await page.locator(`#jobs tr[data-id="${echo.id}"] .badge.state-completed`).waitFor();
});

test('workers page lists live processes and their running jobs', async () => {
  const queue = `workers-${suffix}`;
  const job = await enqueue({ kind: 'sleep', queue, args: { ms: 30000 } });
  await waitForState(job.id, ['running']);

  await open('#/workers');
  await page.locator('section.process').first().waitFor();
  await page.locator(`section.process a[href="#/jobs/${job.id}"]`).waitFor();
  await shoot('workers');
  await api('POST', `/v1/jobs/${job.id}/cancel`);
  await waitForState(job.id, ['cancelled']);
});

test('schedules page lists schedules or says the server has none', async () => {
  await open('#/schedules');
  await page.locator('#schedules-unavailable, #schedules, .panel .empty:not(:has-text("Loading"))').first().waitFor();
  assert.equal(await page.locator('.error-box').count(), 0);
  await shoot('schedules');
});

test('no page raised an error', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(consoleErrors, []);
});

test('a 401 asks for a key, and a 403 hides the actions', async () => {
  // This API runs without keys, so the test intercepts the browser's requests and responds as a
  // server that requires keys would: no key gets 401, and the key 'reader' may read but gets 403
  // on changes.
  const { browser, userDataDir } = await launch();
  try {
    const keyed = browser.pages()[0] ?? await browser.newPage();
    keyed.setDefaultTimeout(timeout);
    const sent = [];
    await keyed.route(`${apiUrl}/v1/**`, async (route) => {
      const authorization = route.request().headers().authorization;
      sent.push(authorization ?? null);
      const problem = (status, detail) => route.fulfill({
        status,
        contentType: 'application/problem+json',
        headers: status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {},
        body: JSON.stringify({ type: 'about:blank', title: 'Denied', status, detail }),
      });
      if (authorization !== 'Bearer reader') return problem(401, 'An API key is required.');
      if (route.request().method() !== 'GET') return problem(403, 'The key may only read.');
      return route.continue({ headers: { ...route.request().headers(), authorization: '' } });
    });

    await keyed.goto(`${apiUrl}/dashboard/#/`);
    await keyed.locator('#login-dialog[open]').waitFor();
    assert.match(await keyed.locator('#login-reason').innerText(), /API key is required/);
    await keyed.fill('#login-key', 'reader');
    await keyed.click('#login-form button[type="submit"]');
    const row = keyed.locator('#queues tbody tr').first();
    await row.waitFor();
    assert.ok(sent.includes('Bearer reader'), 'the key is sent as a Bearer token');

    await row.getByRole('button', { name: /Pause|Resume/ }).click();
    await keyed.locator('#read-only-badge:not([hidden])').waitFor();
    await row.getByRole('button', { name: /Pause|Resume/ }).waitFor({ state: 'hidden' });
    assert.equal(await keyed.evaluate(() => sessionStorage.getItem('jobqueue.apiKey')), 'reader');
  } finally {
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
});
