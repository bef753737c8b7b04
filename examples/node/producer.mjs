#!/usr/bin/env node
// Enqueues example jobs over the job queue's HTTP API and optionally waits for them.
//
// Needs Node.js 20 or later and no npm packages. Options, output and exit status match
// examples/python/producer.py: progress lines go to stderr, and stdout receives exactly one
// line, printed last and also after a failure: {"ids": [...], "states": {"<id>": "<state>"}}.
// The API key, when the API requires one, is read from the JOBQUEUE_API_KEY environment
// variable and sent as "Authorization: Bearer <key>".
// Exit status: 0 on success (even when a job ends discarded or cancelled), 1 when a request
// fails or returns an unexpected body, 2 for invalid options, 3 when --wait times out.

import { parseArgs } from "node:util";

const FINAL_STATES = new Set(["completed", "cancelled", "discarded"]);

// The API rejects a batch of more than 1000 jobs (EnqueueBatchRequest.MaxJobs).
const MAX_BATCH_JOBS = 1000;

const REQUEST_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 500;

const EXIT_REQUEST_FAILED = 1;
const EXIT_INVALID_OPTIONS = 2;
const EXIT_TIMED_OUT = 3;

const USAGE = `usage: node producer.mjs [--api URL] [--kind KIND] [--count N] [--webhook-kind KIND]
                        [--fail-status STATUS] [--max-attempts N] [--wait] [--timeout SECONDS]

  --api URL             base URL of the job queue API (default: http://127.0.0.1:8080)
  --kind KIND           kind of the single job and of the batch jobs (default: echo)
  --count N             number of jobs in the batch, 0 to ${MAX_BATCH_JOBS}; 0 skips the batch (default: 3)
  --webhook-kind KIND   also enqueue one job of this kind, which must have a webhook route on the worker
  --fail-status STATUS  HTTP status the example receiver returns for the webhook job
                        (sets args.fail_status), to observe retries
  --max-attempts N      max_attempts of every job (default: the server's default)
  --wait                poll until every job is completed, cancelled or discarded
  --timeout SECONDS     maximum seconds to wait with --wait (default: 60)`;

/** A request that failed to connect, returned a non-2xx status or an unexpected body. */
class RequestFailed extends Error {}

/** Invalid command-line option, with a message that names the option. */
class InvalidOption extends Error {}

function log(message) {
  process.stderr.write(`${message}\n`);
}

/** Formats an application/problem+json body as lines of text, or returns null if it is not one. */
function describeProblem(body) {
  let problem;
  try {
    problem = JSON.parse(body);
  } catch {
    return null;
  }
  if (problem === null || typeof problem !== "object" || Array.isArray(problem)) {
    return null;
  }

  const lines = [String(problem.title || problem.type || "request failed")];
  if (problem.detail) {
    lines.push(`  ${problem.detail}`);
  }

  // The API writes field errors as {"field": ["message", ...]}, but a plain list is accepted too.
  const errors = problem.errors;
  if (Array.isArray(errors)) {
    for (const error of errors) {
      lines.push(`  ${typeof error === "string" ? error : JSON.stringify(error)}`);
    }
  } else if (errors !== null && typeof errors === "object") {
    for (const [field, messages] of Object.entries(errors)) {
      for (const message of [].concat(messages)) {
        lines.push(`  ${field}: ${message}`);
      }
    }
  }

  return lines.join("\n");
}

/**
 * Sends one JSON request and returns the decoded JSON response body.
 * Throws RequestFailed with the problem's title, detail and errors when the status differs
 * from expectedStatus, and when the server cannot be reached.
 */
async function send(method, url, payload = undefined, expectedStatus = 200) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (process.env.JOBQUEUE_API_KEY) {
    headers.Authorization = `Bearer ${process.env.JOBQUEUE_API_KEY}`;
  }

  let body;
  if (payload !== undefined) {
    body = JSON.stringify(payload);
    headers["Content-Type"] = "application/json";
  }

  let response;
  let text;
  try {
    response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    text = await response.text();
  } catch (error) {
    // fetch puts the network error (ECONNREFUSED, a DNS failure) in error.cause.
    const reason = error.cause?.message ?? error.message;
    throw new RequestFailed(`${method} ${url} failed: ${reason}. Is the API running at that address?`);
  }

  if (!response.ok) {
    const details = describeProblem(text) ?? (text.trim() || "(empty body)");
    throw new RequestFailed(`${method} ${url} failed with ${response.status} ${response.statusText}:\n${details}`);
  }
  if (response.status !== expectedStatus) {
    throw new RequestFailed(`${method} ${url} returned ${response.status}, expected ${expectedStatus}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestFailed(`${method} ${url} returned a body that is not JSON`);
  }
}

/** Returns job unchanged if it has an integer id and a string state, otherwise throws RequestFailed. */
function validateJob(job, url) {
  if (job === null || typeof job !== "object" || !Number.isInteger(job.id) || typeof job.state !== "string") {
    const shown = JSON.stringify(job);
    throw new RequestFailed(`${url} returned a job without an integer 'id' and a string 'state': ${shown}`);
  }
  return job;
}

/**
 * Builds an enqueue request. The args suit every built-in kind: echo returns them, sleep reads
 * "ms" and fail throws "message".
 */
function buildJob(kind, index, options) {
  const job = {
    kind,
    args: { index, ms: 200, message: `example job ${index}` },
    tags: ["example"],
  };
  if (options.maxAttempts !== undefined) {
    job.max_attempts = options.maxAttempts;
  }
  return job;
}

/** Enqueues the single, batch and webhook jobs, recording each id and state in states. */
async function enqueue(options, states) {
  const jobsUrl = `${options.api}/v1/jobs`;

  const single = validateJob(await send("POST", jobsUrl, buildJob(options.kind, 0, options), 201), jobsUrl);
  states.set(single.id, single.state);
  log(`enqueued job ${single.id} (${single.kind}): ${single.state}`);

  if (options.count > 0) {
    const batchUrl = `${jobsUrl}/batch`;
    const jobs = [];
    for (let i = 1; i <= options.count; i++) {
      jobs.push(buildJob(options.kind, i, options));
    }
    const response = await send("POST", batchUrl, { jobs }, 201);
    if (!Array.isArray(response?.jobs) || response.jobs.length !== options.count) {
      throw new RequestFailed(`${batchUrl} returned no 'jobs' list of ${options.count} jobs`);
    }
    for (const job of response.jobs) {
      validateJob(job, batchUrl);
      states.set(job.id, job.state);
      log(`enqueued job ${job.id} (${job.kind}) in batch: ${job.state}`);
    }
  }

  if (options.webhookKind) {
    const job = buildJob(options.webhookKind, options.count + 1, options);
    if (options.failStatus !== undefined) {
      job.args.fail_status = options.failStatus;
    }
    const webhookJob = validateJob(await send("POST", jobsUrl, job, 201), jobsUrl);
    states.set(webhookJob.id, webhookJob.state);
    log(`enqueued webhook job ${webhookJob.id} (${options.webhookKind}): ${webhookJob.state}`);
  }
}

function reportFinalJob(job) {
  if (job.state === "completed") {
    log(`job ${job.id} completed with result ${JSON.stringify(job.result ?? null)}`);
    return;
  }
  const errors = Array.isArray(job.errors) ? job.errors : [];
  const lastError = errors.at(-1) ?? {};
  log(`job ${job.id} ${job.state} after ${job.attempt} attempt(s); ` +
    `last error: ${lastError.reason ?? "none"}: ${lastError.message ?? ""}`);
}

/** Polls each unfinished job until all are final. Returns false if --timeout runs out first. */
async function waitForFinalStates(options, states) {
  const deadline = performance.now() + options.timeout * 1000;

  while (true) {
    const pending = [...states].filter(([, state]) => !FINAL_STATES.has(state)).map(([id]) => id);
    if (pending.length === 0) {
      return true;
    }
    if (performance.now() >= deadline) {
      return false;
    }

    for (const id of pending) {
      const url = `${options.api}/v1/jobs/${id}`;
      const job = validateJob(await send("GET", url), url);
      if (job.state !== states.get(id)) {
        log(`job ${id}: ${states.get(id)} -> ${job.state} (attempt ${job.attempt})`);
      }
      states.set(id, job.state);
      if (FINAL_STATES.has(job.state)) {
        reportFinalJob(job);
      }
    }

    const pause = Math.max(0, Math.min(POLL_INTERVAL_MS, deadline - performance.now()));
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** Parses a decimal integer option, or throws InvalidOption naming the option. */
function parseInteger(name, text) {
  if (!/^-?\d+$/.test(text)) {
    throw new InvalidOption(`${name} must be an integer, got ${JSON.stringify(text)}`);
  }
  return Number.parseInt(text, 10);
}

function parseOptionalInteger(name, text) {
  return text === undefined ? undefined : parseInteger(name, text);
}

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        api: { type: "string", default: "http://127.0.0.1:8080" },
        kind: { type: "string", default: "echo" },
        count: { type: "string", default: "3" },
        "webhook-kind": { type: "string" },
        "fail-status": { type: "string" },
        "max-attempts": { type: "string" },
        wait: { type: "boolean", default: false },
        timeout: { type: "string", default: "60" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new InvalidOption(error.message);
  }
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(0);
  }

  let api;
  try {
    api = new URL(values.api);
  } catch {
    api = null;
  }
  if (api === null || (api.protocol !== "http:" && api.protocol !== "https:")) {
    const shown = JSON.stringify(values.api);
    throw new InvalidOption(`--api must be an http or https URL such as http://127.0.0.1:8080, got ${shown}`);
  }

  const options = {
    api: values.api.replace(/\/+$/, ""),
    kind: values.kind,
    count: parseInteger("--count", values.count),
    webhookKind: values["webhook-kind"],
    failStatus: parseOptionalInteger("--fail-status", values["fail-status"]),
    maxAttempts: parseOptionalInteger("--max-attempts", values["max-attempts"]),
    wait: values.wait,
    timeout: Number(values.timeout),
  };

  if (options.count < 0 || options.count > MAX_BATCH_JOBS) {
    throw new InvalidOption(`--count must be between 0 and ${MAX_BATCH_JOBS}, got ${options.count}`);
  }
  if (options.maxAttempts !== undefined && options.maxAttempts < 1) {
    throw new InvalidOption(`--max-attempts must be at least 1, got ${options.maxAttempts}`);
  }
  if (options.failStatus !== undefined && (options.failStatus < 300 || options.failStatus > 599)) {
    throw new InvalidOption(`--fail-status must be an HTTP status from 300 to 599, got ${options.failStatus}`);
  }
  if (options.failStatus !== undefined && !options.webhookKind) {
    throw new InvalidOption("--fail-status needs --webhook-kind");
  }
  if (!Number.isFinite(options.timeout) || options.timeout <= 0) {
    throw new InvalidOption(`--timeout must be a positive number of seconds, got ${JSON.stringify(values.timeout)}`);
  }
  return options;
}

async function main(argv) {
  let options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof InvalidOption)) {
      throw error;
    }
    process.stderr.write(`${USAGE}\nerror: ${error.message}\n`);
    return EXIT_INVALID_OPTIONS;
  }

  const states = new Map();
  let exitCode = 0;
  try {
    await enqueue(options, states);
    if (options.wait && !(await waitForFinalStates(options, states))) {
      const pending = [...states].filter(([, state]) => !FINAL_STATES.has(state)).map(([id]) => id);
      log(`timed out after ${options.timeout} s; jobs not final: ${JSON.stringify(pending)}`);
      exitCode = EXIT_TIMED_OUT;
    }
  } catch (error) {
    if (!(error instanceof RequestFailed)) {
      throw error;
    }
    log(`error: ${error.message}`);
    exitCode = EXIT_REQUEST_FAILED;
  }

  const summary = { ids: [...states.keys()], states: Object.fromEntries(states) };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return exitCode;
}

process.exitCode = await main(process.argv.slice(2));
