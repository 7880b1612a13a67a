"""arq peer for `teleops bench redis`. Run through bench/peers/run, not directly:

    python bench.py --redis-url redis://127.0.0.1:PORT --jobs N --workers W

The parent flushes the db, enqueues N no-op jobs with enqueue_job (arq has no bulk API: groups of
100 calls run together with asyncio.gather, each call is arq's own WATCH/MULTI pipeline), starts W
worker processes (`python bench.py --worker URL`, max_jobs 8 each, other settings arq's defaults),
times the drain, measures idle pickup with single jobs and prints one JSON line on stdout.
Logs go to stderr.
"""

import asyncio
import json
import math
import os
import subprocess
import sys
import time
from importlib.metadata import version as dist_version

from arq import Worker, create_pool
from arq.connections import RedisSettings

QUEUE = 'arq:queue'  # arq's default queue name
MAX_JOBS = 8
GATHER = 100
CLK_TCK = os.sysconf('SC_CLK_TCK')


def log(*a):
    print('[arq]', *a, file=sys.stderr, flush=True)


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        stat = f.read()
    fields = stat[stat.rindex(')') + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid, field):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


def poll_s(done, total, elapsed_s):
    """Sleep before the next count during a drain: half the expected time left, 2 to 50 ms."""
    if done <= 0:
        return 0.02
    return min(0.05, max(0.002, (total - done) * elapsed_s / done / 2))


def percentile(sorted_samples, q):
    i = min(len(sorted_samples) - 1, max(0, math.ceil(len(sorted_samples) * q) - 1))
    return sorted_samples[i]


def parse_args(argv):
    o = {'samples': 200, 'pickup_budget': 120.0, 'drain_timeout': 300.0, 'poll_delay': 0.5}
    names = {
        '--redis-url': ('url', str),
        '--jobs': ('jobs', int),
        '--workers': ('workers', int),
        '--samples': ('samples', int),
        '--pickup-budget': ('pickup_budget', float),
        '--drain-timeout': ('drain_timeout', float),
        '--poll-delay': ('poll_delay', float),
    }
    it = iter(argv)
    for k in it:
        if k not in names:
            raise SystemExit(f'unknown argument {k}')
        name, conv = names[k]
        o[name] = conv(next(it))
    if not o.get('url') or o.get('jobs', 0) <= 0 or o.get('workers', 0) <= 0:
        raise SystemExit('need --redis-url, --jobs N, --workers W')
    # arq's RedisSettings.from_dsn reads an empty path ("redis://host:port/") as database ''.
    o['url'] = o['url'].rstrip('/')
    return o


# ------------------------------------------------------------------------------------------------
# Worker process: connects, says "R", runs the arq worker on "go", closes on "stop" (or EOF).


async def noop(ctx, k, p=0):
    if p:
        sys.stdout.write(f'P {k} {time.monotonic_ns()}\n')
        sys.stdout.flush()


async def worker_main(url, poll_delay):
    loop = asyncio.get_running_loop()
    settings = RedisSettings.from_dsn(url)
    pool = await create_pool(settings)
    worker = Worker(functions=[noop], redis_pool=pool, max_jobs=MAX_JOBS, poll_delay=poll_delay, handle_signals=False)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print('R', flush=True)
    run = None
    while True:
        line = (await reader.readline()).decode().strip()
        if line == 'go' and run is None:
            run = asyncio.create_task(worker.async_run())
        elif line in ('stop', ''):
            break
    if run is not None:
        run.cancel()
        try:
            await run
        except asyncio.CancelledError:
            pass
    try:
        # close() gathers the job tasks, which the cancel above may have cancelled.
        await worker.close()
    except asyncio.CancelledError:
        pass


# ------------------------------------------------------------------------------------------------
# Parent: the measurement.


class Workers:
    def __init__(self, url, n, poll_delay):
        self.procs = [
            subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), '--worker', url, str(poll_delay)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
            )
            for _ in range(n)
        ]
        self.ready = set()
        self.picked = {}
        self.loop = asyncio.get_running_loop()
        for i, p in enumerate(self.procs):
            self.loop.add_reader(p.stdout.fileno(), self._on_readable, i, p)
            os.set_blocking(p.stdout.fileno(), False)
        self.buffers = [b''] * n

    def _on_readable(self, i, p):
        try:
            data = os.read(p.stdout.fileno(), 65536)
        except BlockingIOError:
            return
        if not data:
            self.loop.remove_reader(p.stdout.fileno())
            return
        self.buffers[i] += data
        *lines, self.buffers[i] = self.buffers[i].split(b'\n')
        for line in lines:
            parts = line.decode().split()
            if parts[:1] == ['R']:
                self.ready.add(i)
            elif parts[:1] == ['P']:
                self.picked[int(parts[1])] = int(parts[2])

    def send(self, line):
        for p in self.procs:
            p.stdin.write((line + '\n').encode())
            p.stdin.flush()

    def alive(self):
        return all(p.poll() is None for p in self.procs)

    def stop(self, timeout):
        try:
            self.send('stop')
        except BrokenPipeError:
            pass
        until = time.monotonic() + timeout
        clean = True
        for p in self.procs:
            try:
                p.wait(max(0.0, until - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                clean = False
        for p in self.procs:
            try:
                self.loop.remove_reader(p.stdout.fileno())
            except (ValueError, OSError):
                pass
        return clean


async def wait_for(cond, timeout_s, step_s):
    until = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > until:
            return False
        await asyncio.sleep(step_s)
    return True


async def main(o):
    notes = []
    version = dist_version('arq')
    settings = RedisSettings.from_dsn(o['url'])
    redis = await create_pool(settings)
    await redis.flushall()
    redis_pid = int((await redis.info('server'))['process_id'])
    cpu_seconds(redis_pid)  # fails early if the server is not on this machine
    n, w = o['jobs'], o['workers']
    log(f'arq {version}, {n} jobs, {w} worker processes x max_jobs {MAX_JOBS}, redis pid {redis_pid}')

    t = time.monotonic()
    for start in range(0, n, GATHER):
        await asyncio.gather(*(redis.enqueue_job('noop', k) for k in range(start, min(n, start + GATHER))))
    enqueue_s = time.monotonic() - t
    log(f'enqueue: {n} in {enqueue_s:.3f} s = {n / enqueue_s:.0f}/s')

    workers = Workers(o['url'], w, o['poll_delay'])
    try:
        if not await wait_for(lambda: len(workers.ready) == w, 30, 0.005):
            raise SystemExit('workers not ready within 30 s')
        pids = [p.pid for p in workers.procs]
        redis_cpu0 = cpu_seconds(redis_pid)
        worker_cpu0 = [cpu_seconds(pid) for pid in pids]
        t = time.monotonic()
        workers.send('go')
        done = 0
        until = t + o['drain_timeout']
        while time.monotonic() < until:
            done = n - await redis.zcard(QUEUE)
            if done >= n:
                break
            if not workers.alive():
                notes.append('a worker exited during the drain')
                break
            await asyncio.sleep(poll_s(done, n, time.monotonic() - t))
        drain_s = time.monotonic() - t
        redis_cpu = cpu_seconds(redis_pid) - redis_cpu0
        worker_cpu = sum(cpu_seconds(pid) - c0 for pid, c0 in zip(pids, worker_cpu0))
        if done < n:
            notes.append(f'drain: only {done} of {n} done within {o["drain_timeout"]:.0f} s')
        log(f'drain: {done} in {drain_s:.3f} s = {done / drain_s:.0f}/s; cpu redis {redis_cpu:.2f} s, workers {worker_cpu:.2f} s')

        # Idle pickup: one job at a time, enqueue -> handler start, then wait for its result.
        samples, timeouts = [], 0
        budget_until = time.monotonic() + o['pickup_budget']
        k = n
        for s in range(o['samples']):
            if time.monotonic() > budget_until:
                break
            await asyncio.sleep(0.02)
            sent = time.monotonic_ns()
            job = await redis.enqueue_job('noop', k, p=1, _job_id=f'p{k}')
            if not await wait_for(lambda: k in workers.picked, 30, 0.001):
                timeouts += 1
                samples.append(30000.0)
                log(f'pickup sample {s}: not started within 30 s')
            else:
                samples.append((workers.picked[k] - sent) / 1e6)
                until = time.monotonic() + 30
                while not await redis.exists(f'arq:result:{job.job_id}'):
                    if time.monotonic() > until:
                        timeouts += 1
                        log(f'pickup sample {s}: started but no result within 30 s')
                        break
                    await asyncio.sleep(0.001)
            k += 1
        samples.sort()
        if len(samples) < o['samples']:
            notes.append(f'pickup: {len(samples)} of {o["samples"]} samples within the {o["pickup_budget"]:.0f} s budget')
        if timeouts:
            notes.append(f'pickup: {timeouts} samples hit the 30 s deadline (counted as 30000 ms)')
        log(
            f'pickup: {len(samples)} samples, p50 {percentile(samples, 0.5):.2f} ms, '
            f'p99 {percentile(samples, 0.99):.2f} ms, max {samples[-1]:.2f} ms'
        )
        rss_kb = max(status_kb(pid, 'VmHWM') for pid in pids)
    finally:
        if not workers.stop(10):
            notes.append('a worker did not stop within 10 s and was killed')
    await redis.aclose()

    notes.insert(
        0,
        f'arq defaults (results kept 1 h) but max_jobs {MAX_JOBS}, poll_delay {o["poll_delay"]:g} s '
        f'({"the default" if o["poll_delay"] == 0.5 else "arq default is 0.5"}; each poll starts at most ~100 queued jobs); '
        f'{w} worker process(es); '
        f'no bulk enqueue in arq: enqueue_job x {GATHER} concurrent via asyncio.gather; '
        'drain timed from go to the queue empty in Redis, workers started and connected before; '
        'pickup = enqueue call -> handler start',
    )
    result = {
        'peer': 'arq',
        'version': version,
        'jobs': n,
        'workers': w,
        'enqueue_per_s': round(n / enqueue_s),
        'drain_per_s': round(done / drain_s),
        'redis_cpu_us_per_job': round(redis_cpu * 1e6 / max(done, 1), 1),
        'worker_cpu_us_per_job': round(worker_cpu * 1e6 / max(done, 1), 1),
        'worker_peak_rss_kb': rss_kb,
        'pickup_p50_ms': round(percentile(samples, 0.5), 2),
        'pickup_p99_ms': round(percentile(samples, 0.99), 2),
        'pickup_max_ms': round(samples[-1], 2),
        'pickup_samples': len(samples),
        'pickup_timeouts': timeouts,
        'drained': done,
        'notes': '; '.join(notes),
    }
    sys.stdout.write(json.dumps(result) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == '--worker':
        asyncio.run(worker_main(sys.argv[2], float(sys.argv[3])))
    else:
        opts = parse_args(sys.argv[1:])
        # Whole-run deadline: enqueue and start-up get 150 s on top of the drain and pickup limits.
        limit = opts['drain_timeout'] + opts['pickup_budget'] + 150
        try:
            asyncio.run(asyncio.wait_for(main(opts), limit))
        except (asyncio.TimeoutError, TimeoutError):
            log(f'run deadline passed ({limit:.0f} s), giving up')
            sys.exit(1)
