"""What idle screens cost the server: live-update polls against gunicorn.

    .venv/bin/python bench/live.py                     # SQLite and PostgreSQL
    .venv/bin/python bench/live.py --db sqlite --screens 50 --seconds 30

It prepares a database as bench/checkout.py does, starts gunicorn with sync
workers, and opens `--screens` screens that poll /live/ as static/js/live.js
does: every 2 seconds (spread evenly), with the page's key (X-Live-Key), the
topics of the busiest page (the Admin dashboard: stock, sales, billing, repairs) and the
ETag of the last answer, on a new connection each time (sync workers close
it). Nothing changes meanwhile, so every answer after the first is a 304.

The server's CPU is what the gunicorn processes (master and workers) used over
the run, from /proc, as a share of one core. The last line is a summary:
  live db=sqlite screens=50 interval_s=2.0 polls_per_s=... cpu_pct=...
       cpu_ms_per_poll=... p50_ms=... p99_ms=... not_modified=... errors=...
"""

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from checkout import (  # noqa: E402 (the sibling bench script)
    PORT,
    ROOT,
    environment,
    percentile,
    prepare,
    start_server,
)

TOPICS = "billing,repairs,sales,stock"
TICKS = os.sysconf("SC_CLK_TCK")


def page_key(env):
    """The live key a page of bench0 would carry (signed with the run's secret)."""
    code = (
        "from accounts.live import live_key; from accounts.models import User; "
        "print(live_key(User.objects.get(username='bench0')))"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def server_cpu_seconds(master_pid):
    """User + system CPU of gunicorn's master and its workers, in seconds."""
    pids = [master_pid]
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


class Screen:
    """One open page polling for changes."""

    def __init__(self, key):
        self.path = f"/live/?topics={TOPICS}"
        self.key = key
        self.etag = None

    def poll(self):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        headers = {"X-Live-Key": self.key}
        if self.etag:
            headers["If-None-Match"] = self.etag
        started = time.perf_counter()
        connection.request("GET", self.path, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        if response.status == 200:
            self.etag = response.headers["ETag"]
        elif response.status != 304:
            raise RuntimeError(f"poll answered {response.status}")
        return elapsed, response.status


def watch(screens, seconds, interval):
    """Every screen polls every `interval`, their starts spread over it."""
    timings, statuses, errors, lock = [], [], [], threading.Lock()
    deadline = time.perf_counter() + seconds

    def screen_loop(screen, offset):
        next_at = time.perf_counter() + offset
        while True:
            pause = next_at - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            if time.perf_counter() >= deadline:
                return
            try:
                elapsed, status = screen.poll()
                with lock:
                    timings.append(elapsed)
                    statuses.append(status)
            except (OSError, RuntimeError) as exc:
                with lock:
                    errors.append(str(exc))
            next_at += interval

    threads = [
        threading.Thread(target=screen_loop, args=(screen, interval * n / len(screens)))
        for n, screen in enumerate(screens)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, statuses, errors


def bench(db, screens, seconds, interval, workers):
    workdir = Path(tempfile.mkdtemp(prefix="pos-bench-live-"))
    env = environment(db, workdir)
    prepare(db, env, 1)
    key = page_key(env)
    server = start_server(env, workers)
    try:
        open_screens = [Screen(key) for _ in range(screens)]
        for screen in open_screens:  # each page's first answer (a 200), warm-up
            screen.poll()
        cpu_before, wall_before = server_cpu_seconds(server.pid), time.perf_counter()
        timings, statuses, errors = watch(open_screens, seconds, interval)
        wall = time.perf_counter() - wall_before
        cpu = server_cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    ms = [t * 1000 for t in timings]
    polls = len(timings)
    line = (
        f"live db={db} screens={screens} interval_s={interval} workers={workers} "
        f"polls_per_s={polls / wall:.1f} cpu_pct={100 * cpu / wall:.2f} "
        f"cpu_ms_per_poll={1000 * cpu / max(polls, 1):.2f} "
        f"p50_ms={percentile(ms, 0.5):.1f} p99_ms={percentile(ms, 0.99):.1f} "
        f"not_modified={statuses.count(304)}/{polls} errors={len(errors)}"
    )
    if errors:
        print(f"  first errors: {errors[:3]}", file=sys.stderr)
    print(line, flush=True)
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args()
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    summary = [
        bench(db, args.screens, args.seconds, args.interval, args.workers)
        for db in databases
    ]
    print()
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
