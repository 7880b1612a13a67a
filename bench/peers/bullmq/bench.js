#!/usr/bin/env node
// BullMQ peer for `teleops bench redis`. Run through bench/peers/run, not directly:
//   node bench.js --redis-url redis://127.0.0.1:PORT --jobs N --workers W
// The parent flushes the db, enqueues N no-op jobs with addBulk (chunks of 1,000), starts W
// worker processes (`node bench.js --worker URL`, concurrency 8 each), times the drain, then
// measures idle pickup with single jobs, and prints one JSON line on stdout. Logs go to stderr.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');

const QUEUE = 'teleops-peer';
const CONCURRENCY = 8;
const CHUNK = 1000;
const CLK_TCK = 100; // Linux USER_HZ

const log = (...a) => console.error('[bullmq]', ...a);
const nowNs = () => process.hrtime.bigint(); // CLOCK_MONOTONIC, shared by all processes here
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after the comm: state(3) ... utime(14) stime(15) -> index 11, 12 here
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function statusKb(pid, field) {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field + ':'));
  return line ? Number(line.split(/\s+/)[1]) : 0;
}

function args(argv) {
  const o = { samples: 200, pickupBudget: 120, drainTimeout: 300 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k === '--redis-url') o.url = v;
    else if (k === '--jobs') o.jobs = Number(v);
    else if (k === '--workers') o.workers = Number(v);
    else if (k === '--samples') o.samples = Number(v);
    else if (k === '--pickup-budget') o.pickupBudget = Number(v);
    else if (k === '--drain-timeout') o.drainTimeout = Number(v);
    else throw new Error(`unknown argument ${k}`);
    i++;
  }
  if (!o.url || !(o.jobs > 0) || !(o.workers > 0)) throw new Error('need --redis-url, --jobs N, --workers W');
  return o;
}

// ---------------------------------------------------------------------------------------------
// Worker process: connects, says "R", starts consuming on "go", closes on "stop".
async function workerMain(url) {
  const connection = new IORedis(url, { maxRetriesPerRequest: null });
  const out = (s) => process.stdout.write(s + '\n');
  const worker = new Worker(
    QUEUE,
    async (job) => {
      if (job.data.p) out(`P ${job.data.k} ${nowNs()}`);
    },
    { connection, concurrency: CONCURRENCY, autorun: false },
  );
  worker.on('completed', (job) => {
    if (job.data.p) out(`C ${job.data.k}`);
  });
  worker.on('error', (e) => log('worker error', e.message));
  await worker.waitUntilReady();
  out('R');
  const rl = readline.createInterface({ input: process.stdin });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await worker.close();
    await connection.quit();
    process.exit(0);
  };
  rl.on('line', (line) => {
    if (line === 'go') worker.run().catch((e) => log('run failed', e.message));
    else if (line === 'stop') stop();
  });
  rl.on('close', stop);
}

// ---------------------------------------------------------------------------------------------
// Parent: the measurement.
function startWorkers(o, onLine) {
  const procs = [];
  for (let i = 0; i < o.workers; i++) {
    const child = spawn(process.execPath, [__filename, '--worker', o.url], { stdio: ['pipe', 'pipe', 'inherit'] });
    const rl = readline.createInterface({ input: child.stdout });
    rl.on('line', (line) => onLine(i, line));
    child.exitCode_ = null;
    child.on('exit', (code, sig) => {
      child.exitCode_ = code === null ? sig : code;
    });
    procs.push(child);
  }
  return procs;
}

async function waitFor(cond, timeoutMs, stepMs) {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) return false;
    await sleep(stepMs);
  }
  return true;
}

// How long to sleep before the next count during a drain: half the expected time left, between
// 2 and 50 ms, so the parent's polling costs little and still stops within a few ms of the end.
function pollMs(done, total, elapsedMs) {
  if (done <= 0) return 20;
  const leftMs = ((total - done) * elapsedMs) / done;
  return Math.min(50, Math.max(2, leftMs / 2));
}

function percentile(sorted, q) {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1));
  return sorted[i];
}

async function main() {
  const o = args(process.argv.slice(2));
  const version = JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules/bullmq/package.json'), 'utf8')).version;
  const notes = [];
  // Whole-run deadline: enqueue and start-up get 120 s on top of the drain and pickup limits.
  setTimeout(() => {
    log(`run deadline passed (${o.drainTimeout + o.pickupBudget + 150} s), giving up`);
    process.exit(1);
  }, (o.drainTimeout + o.pickupBudget + 150) * 1000).unref();
  const redis = new IORedis(o.url, { maxRetriesPerRequest: null, retryStrategy: (n) => (n > 50 ? null : 200) });
  redis.on('error', (e) => log('redis:', e.message));
  await redis.flushall();
  const info = await redis.info('server');
  const redisPid = Number(/process_id:(\d+)/.exec(info)[1]);
  cpuSeconds(redisPid); // fails early if the server is not on this machine
  log(`bullmq ${version}, ${o.jobs} jobs, ${o.workers} worker processes x concurrency ${CONCURRENCY}, redis pid ${redisPid}`);

  const queue = new Queue(QUEUE, { connection: redis });
  await queue.waitUntilReady();

  // Enqueue N no-op jobs, addBulk in chunks of 1,000.
  let t = nowNs();
  for (let start = 0; start < o.jobs; start += CHUNK) {
    const jobs = [];
    for (let k = start; k < Math.min(o.jobs, start + CHUNK); k++) jobs.push({ name: 'noop', data: { k } });
    await queue.addBulk(jobs);
  }
  const enqueueS = Number(nowNs() - t) / 1e9;
  const enqueuePerS = o.jobs / enqueueS;
  log(`enqueue: ${o.jobs} in ${enqueueS.toFixed(3)} s = ${enqueuePerS.toFixed(0)}/s`);

  // Workers: spawn, wait until each is connected ("R"), then start them together.
  const ready = new Set();
  const picked = new Map(); // k -> ns
  const completed = new Set(); // k
  const procs = startWorkers(o, (i, line) => {
    const [tag, k, ns] = line.split(' ');
    if (tag === 'R') ready.add(i);
    else if (tag === 'P') picked.set(Number(k), BigInt(ns));
    else if (tag === 'C') completed.add(Number(k));
  });
  const killAll = () => procs.forEach((p) => p.exitCode_ === null && p.kill('SIGKILL'));
  process.on('exit', killAll); // by each child's own pid
  if (!(await waitFor(() => ready.size === o.workers, 30000, 5))) throw new Error('workers not ready within 30 s');

  const completedKey = `bull:${QUEUE}:completed`;
  const failedKey = `bull:${QUEUE}:failed`;
  const redisCpu0 = cpuSeconds(redisPid);
  const workerCpu0 = procs.map((p) => cpuSeconds(p.pid));
  t = nowNs();
  procs.forEach((p) => p.stdin.write('go\n'));
  let done = 0;
  let failed = 0;
  const drainUntil = Date.now() + o.drainTimeout * 1000;
  while (Date.now() < drainUntil) {
    [done, failed] = (await redis.multi().zcard(completedKey).zcard(failedKey).exec()).map((r) => r[1]);
    if (done + failed >= o.jobs) break;
    if (procs.some((p) => p.exitCode_ !== null)) {
      notes.push('a worker exited during the drain');
      break;
    }
    await sleep(pollMs(done + failed, o.jobs, Number(nowNs() - t) / 1e6));
  }
  const drainS = Number(nowNs() - t) / 1e9;
  const redisCpu = cpuSeconds(redisPid) - redisCpu0;
  const workerCpu = procs.reduce((s, p, i) => s + cpuSeconds(p.pid) - workerCpu0[i], 0);
  const drainPerS = done / drainS;
  if (done < o.jobs) notes.push(`drain: only ${done} of ${o.jobs} completed (${failed} failed) within ${o.drainTimeout} s`);
  log(`drain: ${done} in ${drainS.toFixed(3)} s = ${drainPerS.toFixed(0)}/s; cpu redis ${redisCpu.toFixed(2)} s, workers ${workerCpu.toFixed(2)} s`);

  // Idle pickup: one job at a time on the idle queue, enqueue -> handler start, then wait for
  // its completion before the next one.
  const samples = [];
  let timeouts = 0;
  const budgetUntil = Date.now() + o.pickupBudget * 1000;
  let k = o.jobs;
  for (let s = 0; s < o.samples && Date.now() < budgetUntil; s++, k++) {
    await sleep(20);
    const sent = nowNs();
    await queue.add('noop', { k, p: 1 });
    const key = k;
    if (!(await waitFor(() => picked.has(key), 30000, 1))) {
      timeouts++;
      samples.push(30000);
      log(`pickup sample ${s}: not started within 30 s`);
      continue;
    }
    samples.push(Number(picked.get(key) - sent) / 1e6);
    if (!(await waitFor(() => completed.has(key), 30000, 1))) {
      timeouts++;
      log(`pickup sample ${s}: started but not completed within 30 s`);
    }
  }
  samples.sort((a, b) => a - b);
  if (samples.length < o.samples) notes.push(`pickup: ${samples.length} of ${o.samples} samples within the ${o.pickupBudget} s budget`);
  if (timeouts) notes.push(`pickup: ${timeouts} samples hit the 30 s deadline (counted as 30000 ms)`);
  log(`pickup: ${samples.length} samples, p50 ${percentile(samples, 0.5).toFixed(2)} ms, p99 ${percentile(samples, 0.99).toFixed(2)} ms, max ${samples[samples.length - 1].toFixed(2)} ms`);

  const rssKb = Math.max(...procs.map((p) => statusKb(p.pid, 'VmHWM')));
  procs.forEach((p) => p.stdin.write('stop\n'));
  if (!(await waitFor(() => procs.every((p) => p.exitCode_ !== null), 10000, 10))) {
    notes.push('a worker did not stop within 10 s and was killed');
    killAll();
  }
  await queue.close();
  redis.disconnect();

  notes.unshift(
    `stock defaults (completed jobs kept); ${o.workers} worker process(es) x concurrency ${CONCURRENCY}; ` +
      'drain timed from go to all completed in Redis, workers started and connected before; pickup = enqueue call -> handler start',
  );
  const r = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  const result = {
    peer: 'bullmq',
    version,
    jobs: o.jobs,
    workers: o.workers,
    enqueue_per_s: r(enqueuePerS, 0),
    drain_per_s: r(drainPerS, 0),
    redis_cpu_us_per_job: r((redisCpu * 1e6) / Math.max(done, 1)),
    worker_cpu_us_per_job: r((workerCpu * 1e6) / Math.max(done, 1)),
    worker_peak_rss_kb: rssKb,
    pickup_p50_ms: r(percentile(samples, 0.5), 2),
    pickup_p99_ms: r(percentile(samples, 0.99), 2),
    pickup_max_ms: r(samples[samples.length - 1], 2),
    pickup_samples: samples.length,
    pickup_timeouts: timeouts,
    drained: done,
    notes: notes.join('; '),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

if (process.argv[2] === '--worker') {
  workerMain(process.argv[3]).catch((e) => {
    log('worker failed', e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    log('failed:', e && e.stack ? e.stack : e);
    process.exit(1);
  });
}
