// Runs one benchmark workload against a Node.js peer (graphile-worker or pg-boss) and prints one
// JSON record on its last line of output. The producer runs in this process; workers run in a
// child process (this file with --role worker), so latencies are measured across processes.
// Start and response times are process.hrtime (CLOCK_MONOTONIC), comparable across processes.
import { fork } from "node:child_process";
import { parseArgs } from "node:util";
import pg from "pg";
import { run, runMigrations, makeWorkerUtils } from "graphile-worker";
import PgBoss from "pg-boss";

const { values: opt } = parseArgs({
  options: {
    system: { type: "string" }, config: { type: "string", default: "default" },
    workload: { type: "string", default: "single" }, role: { type: "string", default: "producer" },
    pg: { type: "string", default: "postgres://postgres@127.0.0.1:26000/postgres" },
    db: { type: "string", default: "bench_peer" },
    jobs: { type: "string", default: "10000" }, clients: { type: "string", default: "32" },
    batch: { type: "string", default: "1000" }, rate: { type: "string", default: "20" },
    seconds: { type: "string", default: "10" }, "time-limit": { type: "string", default: "60" },
    warmup: { type: "string", default: "0" },
  },
});
const jobs = Number(opt.jobs), clients = Number(opt.clients), batch = Number(opt.batch);
// Seconds of the same enqueue load before a single, bulk or latency measurement, so that it
// measures a warmed-up process. Every system gets the same.
const warmupMs = Number(opt.warmup) * 1000;
const timeLimitMs = Number(opt["time-limit"]) * 1000;
const fast = opt.config === "fast";
const dbUrl = (() => { const u = new URL(opt.pg); u.pathname = "/" + opt.db; return u.toString(); })();
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const QUEUE = "bench";

// graphile-worker's fast configuration is the one its performance page lists: 24 concurrent jobs,
// a pool of 25, a local queue of 500 and batched completion. Its defaults are 1 job at a time.
const graphilePreset = fast
  ? { worker: { concurrentJobs: 24, maxPoolSize: 25, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
  : { worker: {} };
// pg-boss's work() defaults fetch 1 job every 2 seconds; its documented lever is batchSize, with
// the polling interval at its 0.5 s minimum.
const bossWork = fast ? { batchSize: 1000, pollingIntervalSeconds: 0.5 } : {};

async function recreateDatabase() {
  const admin = new pg.Client({ connectionString: opt.pg });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${opt.db}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${opt.db}"`);
  await admin.end();
}

// One connection for every poll, opened at the first: a connection per poll made PostgreSQL
// start a backend process 20 times a second during a drain.
let pollClient;
async function connectPoll() {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  return client;
}
async function scalar(sql, params = []) {
  pollClient ??= connectPoll();
  return Number((await (await pollClient).query(sql, params)).rows[0].v);
}

// ---- worker role: runs jobs, reports the first start and, for latency runs, every start ----
async function workerRole() {
  const starts = [];
  let first = null;
  const record = (n) => {
    const t = nowMs();
    if (first === null) { first = t; process.send({ type: "first", t }); }
    if (opt.workload === "latency" || opt.workload === "load") starts.push([n, t]);
  };
  let stop;
  if (opt.system === "graphile-worker") {
    const runner = await run({
      connectionString: dbUrl, noHandleSignals: true, preset: graphilePreset,
      ...(fast ? {} : { concurrency: 1 }),
      taskList: { noop: async (payload) => { record(payload.n); } },
    });
    stop = () => runner.stop();
  } else {
    const boss = new PgBoss({ connectionString: dbUrl });
    boss.on("error", (e) => console.error(e.message));
    await boss.start();
    await boss.work(QUEUE, bossWork, async (batchJobs) => { for (const j of batchJobs) record(j.data.n); });
    stop = () => boss.stop({ graceful: true, wait: true, timeout: 5000 });
  }
  process.send({ type: "ready" });
  process.on("message", async (m) => {
    if (m.type === "report") {
      // A large message is still being written to the pipe when send returns; exiting before
      // its callback would cut it off.
      await new Promise((resolve) => process.send({ type: "starts", starts }, resolve));
      await stop();
      process.exit(0);
    }
  });
}

function startWorker() {
  const child = fork(new URL(import.meta.url).pathname, [...process.argv.slice(2), "--role", "worker"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const state = { first: null, child };
  state.ready = new Promise((resolve, reject) => {
    child.on("message", (m) => {
      if (m.type === "ready") resolve();
      if (m.type === "first") state.first = m.t;
      if (m.type === "starts") state.starts = m.starts;
    });
    child.on("exit", (code) => { if (code) reject(new Error(`worker exited with ${code}`)); });
  });
  state.report = () => new Promise((resolve) => {
    // The worker sends its starts before it stops. A worker that does not stop within 15 s is
    // killed, and the starts it already sent still count.
    const timer = setTimeout(() => { child.kill("SIGKILL"); resolve(state.starts ?? []); }, 15000);
    child.once("exit", () => { clearTimeout(timer); resolve(state.starts ?? []); });
    child.send({ type: "report" });
  });
  return state;
}

// ---- producers ----
async function makeProducer() {
  if (opt.system === "graphile-worker") {
    await runMigrations({ connectionString: dbUrl });
    const utils = await makeWorkerUtils({ connectionString: dbUrl, ...(fast ? { maxPoolSize: clients } : {}) });
    return {
      one: (n) => utils.addJob("noop", { n }),
      many: (start, count) => utils.addJobs(Array.from({ length: count }, (_, i) => ({ identifier: "noop", payload: { n: start + i } }))),
      // Completed jobs are deleted, so the jobs left in the table are the ones not yet completed.
      completed: () => scalar("SELECT count(*) AS v FROM graphile_worker.jobs").then((left) => jobs - left),
      anyLeft: () => scalar("SELECT EXISTS (SELECT FROM graphile_worker.jobs) AS v"),
      unfinished: () => scalar("SELECT count(*) AS v FROM graphile_worker.jobs"),
      close: () => utils.release(),
    };
  }
  const boss = new PgBoss({ connectionString: dbUrl, ...(fast ? { max: clients } : {}), supervise: false, schedule: false });
  boss.on("error", (e) => console.error(e.message));
  await boss.start();
  await boss.createQueue(QUEUE);
  return {
    one: (n) => boss.send(QUEUE, { n }),
    many: (start, count) => boss.insert(Array.from({ length: count }, (_, i) => ({ name: QUEUE, data: { n: start + i } }))),
    completed: () => scalar("SELECT count(*) AS v FROM pgboss.job WHERE name = $1 AND state = 'completed'", [QUEUE]),
    unfinished: () => scalar("SELECT count(*) AS v FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')", [QUEUE]),
    anyLeft: () => scalar("SELECT EXISTS (SELECT FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')) AS v", [QUEUE]),
    close: () => boss.stop({ graceful: false, wait: true, timeout: 5000 }),
  };
}

async function closedLoop(loops, total, deadline, fn) {
  let next = 0, done = 0;
  const t0 = nowMs();
  await Promise.all(Array.from({ length: loops }, async () => {
    while (nowMs() < deadline) {
      const i = next++;
      if (i >= total) break;
      await fn(i);
      done++;
    }
  }));
  return { done, seconds: (nowMs() - t0) / 1000 };
}

// Enqueues at `rate` jobs/s: one job per call below 200/s, else a batch every 10 ms. Job numbers
// start at `first`.
async function openLoop(producer, rate, seconds, first = 0) {
  const tick = rate < 200 ? 1000 / rate : 10;
  const perTick = rate < 200 ? 1 : Math.max(1, Math.round((rate * tick) / 1000));
  const ticks = Math.floor((seconds * 1000) / tick);
  const responded = new Map();
  const pending = [];
  const t0 = nowMs();
  let inFlight = 0;
  for (let i = 0; i < ticks; i++) {
    const wait = t0 + i * tick - nowMs();
    if (wait > 0) await sleep(wait);
    while (inFlight >= 32) await sleep(1);
    inFlight++;
    const start = first + i * perTick;
    pending.push((perTick === 1 ? producer.one(start) : producer.many(start, perTick)).then(() => {
      const t = nowMs();
      for (let k = 0; k < perTick; k++) responded.set(start + k, t);
      inFlight--;
    }));
  }
  await Promise.all(pending);
  return { responded, offered: ticks * perTick, elapsed: (nowMs() - t0) / 1000 };
}

function quantile(sorted, q) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN; }

async function main() {
  await recreateDatabase();
  const producer = await makeProducer();
  const deadline = nowMs() + timeLimitMs;
  let record;
  try {
    if (opt.workload === "single") {
      await closedLoop(clients, Math.min(1000, jobs / 5), deadline, (i) => producer.one(i));
      await closedLoop(clients, 1e7, Math.min(deadline, nowMs() + warmupMs), (i) => producer.one(1e7 + i));
      const { done, seconds } = await closedLoop(clients, jobs, deadline, (i) => producer.one(i));
      record = { value: done / seconds, unit: "jobs/s", jobs: done, clients };
    } else if (opt.workload === "bulk") {
      const loops = 4;
      await closedLoop(loops, 1e4, Math.min(deadline, nowMs() + warmupMs), (i) => producer.many(1e7 + i * batch, batch));
      const { done, seconds } = await closedLoop(loops, Math.ceil(jobs / batch), deadline, (i) => producer.many(i * batch, batch));
      record = { value: (done * batch) / seconds, unit: "jobs/s", jobs: done * batch, clients: loops, batch };
    } else if (opt.workload === "drain") {
      await closedLoop(4, Math.ceil(jobs / 1000), nowMs() + 300000, (i) => producer.many(i * 1000, Math.min(1000, jobs - i * 1000)));
      const worker = startWorker();
      await worker.ready;
      // The poll checks whether any job is left, which stops at the first one. Counting the jobs
      // left at every poll cost the database more than the drain's own statements at its start.
      let end = nowMs();
      while (nowMs() < deadline) {
        const left = await producer.anyLeft();
        end = nowMs();
        if (!left) break;
        await sleep(50);
      }
      const done = await producer.completed();
      const first = worker.first ?? end;
      await worker.report();
      // A run cut off by the time limit counts the jobs completed by then.
      const counted = Math.min(done, jobs);
      record = { value: counted / ((end - first) / 1000), unit: "jobs/s", jobs: counted, complete: done >= jobs };
    } else if (opt.workload === "latency" || opt.workload === "load") {
      const worker = startWorker();
      await worker.ready;
      await sleep(2000);
      if (warmupMs > 0) {
        // The same rate first, numbered apart and not counted, until its jobs have run.
        await openLoop(producer, Number(opt.rate), warmupMs / 1000, 1e7);
        const drainedBy = nowMs() + 60000;
        while ((await producer.unfinished()) > 0 && nowMs() < drainedBy) await sleep(100);
      }
      const { responded, offered, elapsed } = await openLoop(producer, Number(opt.rate), Number(opt.seconds));
      await sleep(3000);
      const starts = new Map(await worker.report());
      const lat = [...responded].filter(([n]) => starts.has(n)).map(([n, t]) => starts.get(n) - t).sort((a, b) => a - b);
      const r2 = (v) => Math.round(v * 100) / 100;
      record = { samples: lat.length, p50_ms: r2(quantile(lat, 0.5)), p90_ms: r2(quantile(lat, 0.9)), p99_ms: r2(quantile(lat, 0.99)),
        max_ms: r2(lat.at(-1) ?? NaN), offered_rate: Number(opt.rate), achieved_rate: r2(offered / elapsed), not_started: responded.size - lat.length };
    } else {
      throw new Error(`unknown workload ${opt.workload}`);
    }
  } finally {
    await producer.close();
  }
  if (typeof record.value === "number") record.value = Math.round(record.value * 10) / 10;
  console.log(JSON.stringify(record));
  process.exit(0);
}

if (opt.role === "worker") workerRole().catch((e) => { console.error(e); process.exit(1); });
else main().catch((e) => { console.error(e); process.exit(1); });
