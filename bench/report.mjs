// Turns the result records of one bench/run into benchmarks.json (one record per system,
// configuration and workload) and the results section of benchmarks.md. In an existing page the
// text between the two "results" markers is replaced and everything else is kept.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execSync } from "node:child_process";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    results: { type: "string" }, out: { type: "string" }, quick: { type: "string", default: "false" },
    started: { type: "string", default: "" }, settings: { type: "string", default: "{}" }, repeats: { type: "string", default: "1" },
  },
});
const raw = fs.readFileSync(opt.results, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (v, digits = 0) => (v === undefined || v === null || Number.isNaN(v) ? "n/a"
  : Number(v).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));

// One record per system, configuration and workload, with the median and range of its repeats.
const groups = new Map();
for (const r of raw) {
  const key = `${r.system}|${r.config}|${r.workload}`;
  if (!groups.has(key)) groups.set(key, { system: r.system, config: r.config, workload: r.workload, runs: [] });
  groups.get(key).runs.push({ ...r.result, load_avg: r.load_avg });
}
const records = [...groups.values()].map((g) => {
  const values = g.runs.map((r) => r.value).filter((v) => typeof v === "number");
  const rec = { ...g, unit: g.runs[0].unit ?? (g.runs[0].p50_ms !== undefined ? "ms" : undefined) };
  if (values.length) Object.assign(rec, { median: median(values), min: Math.min(...values), max: Math.max(...values) });
  for (const k of ["p50_ms", "p90_ms", "p99_ms"]) {
    const v = g.runs.map((r) => r[k]).filter((x) => typeof x === "number");
    if (v.length) rec[k] = median(v);
  }
  rec.load_avg = g.runs.map((r) => r.load_avg);
  return rec;
});
const find = (system, workload, config) => records.find((r) => r.system === system && r.workload === workload && (!config || r.config === config));
// A system's best configuration for a throughput workload: the ratios compare best with best.
const best = (system, workload) => records.filter((r) => r.system === system && r.workload === workload)
  .sort((a, b) => (b.median ?? 0) - (a.median ?? 0))[0];
const ceiling = { single: find("postgres", "insert_one"), bulk: find("postgres", "insert_100"), drain: find("postgres", "claim_complete") };

const loads = raw.map((r) => r.load_avg);
const version = (cmd) => { try { return execSync(cmd, { encoding: "utf8" }).trim().split("\n")[0]; } catch { return "unknown"; } };
const meta = {
  started_at: opt.started, finished_at: new Date().toISOString(), quick: opt.quick === "true", repeats: Number(opt.repeats),
  machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, memory_gib: Math.round(os.totalmem() / 2 ** 30), kernel: os.release() },
  versions: { node: process.version, dotnet: version("dotnet --version"), postgres: JSON.parse(opt.settings).server_version },
  postgres_settings: JSON.parse(opt.settings),
  load_avg: { min: Math.min(...loads), median: median(loads), max: Math.max(...loads) },
};
fs.writeFileSync(path.join(opt.out, "benchmarks.json"), JSON.stringify({ meta, records }, null, 2) + "\n");

// ---- markdown ----
const lines = [];
const w = (s = "") => lines.push(s);
w(`Run of ${meta.started_at} to ${meta.finished_at}${meta.quick ? " (quick mode: small sizes, one repeat; not for comparison)" : ""}: ` +
  `${meta.machine.cpus} cores (${meta.machine.cpu_model}), ${meta.machine.memory_gib} GiB, PostgreSQL ${meta.versions.postgres}, ` +
  `.NET SDK ${meta.versions.dotnet}, Node.js ${meta.versions.node}. Load average (1 min) at the start of each measurement: ` +
  `min ${fmt(meta.load_avg.min, 2)}, median ${fmt(meta.load_avg.median, 2)}, max ${fmt(meta.load_avg.max, 2)}.`);
w();
w("PostgreSQL settings, the same for every system: " +
  Object.entries(meta.postgres_settings).map(([k, v]) => `\`${k}=${v}\``).join(", ") + ".");
w();
w("### Ceiling (pgbench, 8 clients)");
w();
w("| statement | rows/s | load avg |");
w("| --- | ---: | ---: |");
for (const [name, label] of [["insert_one", "one-row INSERT, one commit each"], ["insert_100", "100-row INSERT, one commit each"],
  ["claim_complete", "claim one row with SKIP LOCKED, then complete it (two commits)"]]) {
  const r = find("postgres", name);
  w(`| ${label} | ${fmt(r?.median)} | ${fmt(r?.load_avg?.[0], 2)} |`);
}

const throughput = [
  ["single", "Single enqueue (one job per request or call, 32 concurrent producers)", "single"],
  ["bulk", "Bulk enqueue (1,000 jobs per request or call, 4 concurrent producers)", "bulk"],
  ["drain", "Drain (pre-enqueued no-op jobs, one worker host, first start to last completion)", "drain"],
  ["webhook", "Webhook drain (the same, delivered to a local receiver that answers 200)", null],
];
for (const [workload, title, ceilingKey] of throughput) {
  const rows = records.filter((r) => r.workload === workload).sort((a, b) => (b.median ?? 0) - (a.median ?? 0));
  if (!rows.length) continue;
  w();
  w(`### ${title}`);
  w();
  w("| system | configuration | median jobs/s | range | runs | load avg |");
  w("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const incomplete = r.runs.some((x) => x.complete === false) ? " (cut off by the time limit)" : "";
    w(`| ${r.system} | ${r.config}${incomplete} | ${fmt(r.median)} | ${fmt(r.min)} to ${fmt(r.max)} | ${r.runs.length} | ${r.load_avg.map((v) => fmt(v, 2)).join(", ")} |`);
  }
  const ours = best("jobqueue", workload);
  const peers = rows.filter((r) => r.system !== "jobqueue");
  const bestPeer = peers[0];
  const parts = [];
  if (ours && bestPeer) parts.push(`${fmt(ours.median / bestPeer.median, 2)}× the best peer (${bestPeer.system}, ${bestPeer.config})`);
  if (ours && ceilingKey && ceiling[ceilingKey]) parts.push(`${fmt(ours.median / ceiling[ceilingKey].median, 2)}× the ceiling`);
  const drain = ours && find("jobqueue", "drain", ours.config);
  if (workload === "webhook" && drain) parts.push(`${fmt(ours.median / drain.median, 2)}× our in-process drain in the same configuration`);
  if (parts.length) { w(); w(`This service (${ours?.config ?? "no result"}): ${parts.join(", ")}.`); }
}

const latencyTitles = [["latency", "Idle latency (20 jobs/s, one per request, workers waiting)"],
  ["load50", "Latency under load at 50% of this service's drain rate"], ["load80", "Latency under load at 80% of this service's drain rate"]];
for (const [workload, title] of latencyTitles) {
  const rows = records.filter((r) => r.workload === workload).sort((a, b) => (a.p50_ms ?? 1e9) - (b.p50_ms ?? 1e9));
  if (!rows.length) continue;
  w();
  w(`### ${title}`);
  w();
  w("Enqueue response to handler start, in milliseconds, across processes.");
  w();
  w("| system | configuration | p50 | p90 | p99 | max | samples | offered jobs/s | achieved jobs/s | not started | load avg |");
  w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const x = r.runs[0];
    w(`| ${r.system} | ${r.config} | ${fmt(x.p50_ms, 1)} | ${fmt(x.p90_ms, 1)} | ${fmt(x.p99_ms, 1)} | ${fmt(x.max_ms, 1)} | ${x.samples} | ${fmt(x.offered_rate)} | ${fmt(x.achieved_rate)} | ${x.not_started} | ${fmt(r.load_avg[0], 2)} |`);
  }
}

const history = find("jobqueue", "history");
if (history) {
  const empty = find("jobqueue", "drain", history.config);
  const x = history.runs[0];
  w();
  w("### History (this service)");
  w();
  w(`Drain of ${fmt(x.jobs)} jobs with ${fmt(x.history_rows)} completed jobs already in the table: ${fmt(history.median)} jobs/s, ` +
    `against ${fmt(empty?.median)} jobs/s with an empty table (${fmt((history.median / empty?.median) * 100, 0)}%). ` +
    `Inserting and vacuuming the finished rows took ${fmt(x.setup_seconds, 0)} s. Load avg ${fmt(history.load_avg[0], 2)}.`);
}

const sustained = find("jobqueue", "sustained");
if (sustained) {
  const x = sustained.runs[0];
  const drain = find("jobqueue", "drain", sustained.config);
  w();
  w("### Sustained: enqueue and work at once (this service)");
  w();
  w(`Batches of 1,000 jobs from 4 clients over HTTP while one worker host runs them, with at most ${fmt(x.backlog_limit)} ` +
    `jobs waiting; jobs completed per second over ${fmt(x.seconds, 0)} s.`);
  w();
  w("| configuration | median jobs/s | range | runs | load avg |");
  w("| --- | ---: | ---: | ---: | ---: |");
  w(`| ${sustained.config} | ${fmt(sustained.median)} | ${fmt(sustained.min)} to ${fmt(sustained.max)} | ${sustained.runs.length} | ${sustained.load_avg.map((v) => fmt(v, 2)).join(", ")} |`);
  if (drain) { w(); w(`${fmt((sustained.median / drain.median) * 100, 0)}% of the drain rate in the same configuration.`); }
}

const soak = find("jobqueue", "soak");
if (soak) {
  const x = soak.runs[0];
  w();
  w("### Soak (this service)");
  w();
  const half = sustained ? ` (half the sustained rate)` : "";
  w(`${fmt(x.offered_rate)} jobs/s offered${half}, ${fmt(x.achieved_rate)} achieved, completed jobs kept for ${x.retention} ` +
    `(retention), ${fmt(x.completed_rows_at_end)} completed rows at the end. Samples:`);
  w();
  w("| time s | API RSS MiB | worker RSS MiB | jobs table MiB | rows | of them waiting or running |");
  w("| ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const s of x.samples) w(`| ${s.t_s} | ${fmt(s.api_rss_mib, 1)} | ${fmt(s.worker_rss_mib, 1)} | ${fmt(s.table_mib, 1)} | ${fmt(s.rows)} | ${fmt(s.unfinished)} |`);
}

const generated = lines.join("\n");
const page = path.join(opt.out, "benchmarks.md");
const start = "<!-- results:start (written by bench/run) -->", end = "<!-- results:end -->";
let text = fs.existsSync(page) ? fs.readFileSync(page, "utf8") : "";
if (text.includes(start) && text.includes(end)) {
  text = text.slice(0, text.indexOf(start) + start.length) + "\n\n" + generated + "\n\n" + text.slice(text.indexOf(end));
} else {
  text = `# Benchmarks\n\nWritten by \`bench/run\`; see bench/README.md.\n\n${start}\n\n${generated}\n\n${end}\n`;
}
fs.writeFileSync(page, text);

// A measurement that produced nothing means the harness is broken; a slow one is only reported.
// A latency run whose jobs were offered but none started in time (pg-boss's default
// configuration takes one job per 2-second poll) is slow, and its row shows that.
const broken = records.filter((r) => r.runs.some((x) => (x.value !== undefined && !(x.value > 0))
  || (typeof x.samples === "number" && !(x.samples > 0) && !(x.not_started > 0))
  || (Array.isArray(x.samples) && x.samples.length === 0)));
if (broken.length) {
  console.error("Measurements without a result: " + broken.map((r) => `${r.system} ${r.config} ${r.workload}`).join(", "));
  process.exit(1);
}
