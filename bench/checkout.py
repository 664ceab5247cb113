"""Checkout throughput and latency: simulated cashiers over HTTP against gunicorn.

    .venv/bin/python bench/checkout.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/checkout.py --db sqlite --seconds 10
    .venv/bin/python bench/checkout.py --htmx   # post as the till's page does
    .venv/bin/python bench/checkout.py --workers 4   # gunicorn's sync workers
    .venv/bin/python bench/checkout.py --perf        # and count instructions

Each cashier signs in, opens a shift, then repeatedly scans one product and
checks out with cash, exactly as the till's forms do. Two runs per database:
  closed: every cashier checks out again as soon as the last one finished;
  paced:  every cashier checks out about once a second.
Without --htmx the cashiers post as a browser without JavaScript does (a
scan is answered with a redirect); with it, as the till's page does (htmx:
the cart panel comes back). Only the checkout request is timed. The last
lines are one summary per run:
  checkout db=postgres mode=closed clients=10 per_s=... p50_ms=... ...

With --perf, Linux's `perf stat` counts the instructions the whole machine
ran during each run (gunicorn, the database and these cashiers), and the
summary adds them per scan and checkout (`minsn=`, millions). Unlike the
rate, that count hardly moves with what else the machine is doing, or with a
virtual machine's changing speed: compare code by it.
"""

import argparse
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PORT = 8799
PASSWORD = "bench-pass-2026"  # noqa: S105 (a throwaway benchmark database)
POSTGRES = "postgres://postgres@127.0.0.1:5432/pos_bench"


def environment(db, workdir):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pos_project.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": "",
    }
    if db == "postgres":
        env["DATABASE_URL"] = POSTGRES
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    return env


def manage(env, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


SETUP = """
from decimal import Decimal
from accounts.models import Role, TaxRate, User
from inventory import services as stock
from inventory.models import Category, Product, Supplier

owner = User.objects.create_user(
    "bench-owner", password="{password}", role=Role.SUPER_ADMIN
)
for n in range({clients}):
    User.objects.create_user(f"bench{{n}}", password="{password}", role=Role.USER)
rate = TaxRate.default()
supplier = Supplier.objects.create(name="Bench supplier")
category = Category.objects.create(name="Bench")
products = [
    Product.objects.create(
        name=f"Bench item {{n}}", sku=f"BENCH-{{n}}", barcode=f"99{{n:011d}}",
        sale_price=Decimal("9.99"), tax_rate=rate, category=category, supplier=supplier,
    )
    for n in range({clients})
]
stock.record_opening_stock([stock.StockLine(p, 1_000_000) for p in products], by=owner)
"""


def prepare(db, env, clients):
    if db == "postgres":
        psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
        subprocess.run([*psql, "DROP DATABASE IF EXISTS pos_bench"], check=True)
        subprocess.run([*psql, "CREATE DATABASE pos_bench"], check=True)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "shell", "-c", SETUP.format(password=PASSWORD, clients=clients))


def start_server(env, workers):
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "pos_project.wsgi",
            "--bind", f"127.0.0.1:{PORT}",
            "--workers", str(workers),
            "--log-level", "warning",
        ],
        cwd=ROOT, env=env,
    )  # fmt: skip
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


class Cashier:
    """One till: a kept-alive connection, a session cookie and a CSRF token."""

    def __init__(self, number, htmx=False):
        self.number = number
        self.htmx = htmx
        self.cookies = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)

    def request(self, method, path, data=None, htmx=False):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if htmx:
            headers["HX-Request"] = "true"
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            headers["Referer"] = f"http://127.0.0.1:{PORT}{path}"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        self.last_headers = response.headers
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        # A browser shows the flash messages ("Sale R-000042 complete.") on the
        # page it is sent to next, which clears them. The cashiers here do not
        # load those pages, so they drop them instead of letting them pile up
        # (in the cookie, then in the session) over the whole run.
        self.cookies.pop("messages", None)
        return response.status, response.headers.get("Location", ""), text

    def sign_in(self):
        self.request("GET", "/sign-in/")
        status, _, _ = self.request(
            "POST", "/sign-in/",
            {"username": f"bench{self.number}", "password": PASSWORD,
             "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")},
        )  # fmt: skip
        if status != 302:
            raise SystemExit(f"bench{self.number} could not sign in ({status})")
        self.request("POST", "/shifts/open/", {"opening_float": "100.00"})
        status, _, page = self.request("GET", "/till/")
        if status != 200 or "scan-box" not in page:
            raise SystemExit(f"bench{self.number} has no till ({status})")

    def sell_once(self):
        """Scan the cashier's product and pay cash; the checkout's time in seconds."""
        status, _, _ = self.request(
            "POST", "/till/scan/", {"code": f"BENCH-{self.number}"}, htmx=self.htmx
        )
        if status not in (200, 302):
            return None, f"scan {status}"
        data = {
            "token": uuid.uuid4().hex,
            "tender-TOTAL_FORMS": "1",
            "tender-INITIAL_FORMS": "0",
            "tender-MIN_NUM_FORMS": "0",
            "tender-MAX_NUM_FORMS": "4",
            "tender-0-method": "cash",
            "tender-0-amount": "10.00",
            "tender-0-reference": "",
        }
        started = time.perf_counter()
        status, location, page = self.request(
            "POST", "/till/checkout/", data, htmx=self.htmx
        )
        elapsed = time.perf_counter() - started
        if self.htmx:  # htmx is told where to go in a header
            location = self.last_headers.get("HX-Redirect", "")
            status = 302 if status == 200 and location else status
        if status != 302 or "/receipt/" not in location:
            reason = re.search(r'class="[^"]*alert[^"]*"[^>]*>\s*([^<]{0,120})', page)
            return (
                None,
                f"checkout {status} {reason.group(1).strip() if reason else ''}",
            )
        return elapsed, None


def run(cashiers, seconds, paced):
    timings, errors, lock = [], [], threading.Lock()
    deadline = time.perf_counter() + seconds

    def work(cashier):
        next_tick = time.perf_counter()
        if paced:
            # Real cashiers are not in step: each starts somewhere in the first second.
            next_tick += random.random()
            time.sleep(max(0.0, next_tick - time.perf_counter()))
        while time.perf_counter() < deadline:
            elapsed, error = cashier.sell_once()
            with lock:
                (errors.append(error) if error else timings.append(elapsed))
            if paced:
                next_tick += 1.0
                time.sleep(max(0.0, next_tick - time.perf_counter()))

    threads = [threading.Thread(target=work, args=(c,)) for c in cashiers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, errors, time.perf_counter() - started


class InstructionCount:
    """Instructions run on every core meanwhile, by `perf stat -a` (or None,
    also when not `enabled`)."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.value = None

    def __enter__(self):
        if not self.enabled:
            return self
        self.perf = subprocess.Popen(
            ["perf", "stat", "-a", "-x,", "-e", "instructions"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(0.2)  # perf has its counters open
        return self

    def __exit__(self, *exc):
        if not self.enabled:
            return
        self.perf.send_signal(signal.SIGINT)
        _, report = self.perf.communicate(timeout=30)
        for row in report.splitlines():
            fields = row.split(",")
            if len(fields) > 2 and fields[2].startswith("instructions"):
                self.value = int(fields[0]) if fields[0].isdigit() else None
        if self.value is None:
            print(f"  perf counted nothing: {report.strip()[:200]}", file=sys.stderr)


def percentile(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def bench(db, clients, seconds, workers, htmx=False, perf=False):
    workdir = Path(tempfile.mkdtemp(prefix="pos-bench-"))
    env = environment(db, workdir)
    prepare(db, env, clients)
    server = start_server(env, workers)
    lines = []
    try:
        cashiers = [Cashier(n, htmx) for n in range(clients)]
        for cashier in cashiers:
            cashier.sign_in()
        for cashier in cashiers:  # warm up every worker and connection
            cashier.sell_once()
        for mode, paced in (("closed", False), ("paced", True)):
            with InstructionCount(enabled=perf) as counted:
                timings, errors, wall = run(cashiers, seconds, paced)
            ms = [t * 1000 for t in timings]
            extra = " htmx=1" if htmx else ""
            if counted.value and timings:
                extra += f" minsn={counted.value / len(timings) / 1e6:.1f}"
            line = (
                f"checkout db={db} mode={mode} clients={clients} "
                f"per_s={len(timings) / wall:.1f} p50_ms={percentile(ms, 0.5):.1f} "
                f"p95_ms={percentile(ms, 0.95):.1f} p99_ms={percentile(ms, 0.99):.1f} "
                f"mean_ms={statistics.fmean(ms) if ms else float('nan'):.1f} "
                f"errors={len(errors)} workers={workers}{extra}"
            )
            if errors:
                print(f"  first errors: {errors[:3]}", file=sys.stderr)
            print(line, flush=True)
            lines.append(line)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    return lines


def default_workers(db):
    """Gunicorn's sync workers for a database (docs/performance.md measures it).

    SQLite: one per core, as docs/setup.md advises. Its writes go one at a
    time, and more workers than cores only preempt the one holding the lock.
    PostgreSQL: two per core; its server needs the cores too, and fewer
    workers did no better.
    """
    cores = os.cpu_count() or 1
    return cores if db == "sqlite" else 2 * cores


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn sync workers (default: per core, 1 on SQLite, 2 on PostgreSQL)",
    )
    parser.add_argument(
        "--htmx", action="store_true", help="post as the till's page does (htmx)"
    )
    parser.add_argument(
        "--perf",
        action="store_true",
        help="count the machine's instructions per checkout (Linux perf)",
    )
    args = parser.parse_args()
    if args.perf and shutil.which("perf") is None:
        parser.error("--perf needs Linux's perf (Debian: apt-get install linux-perf)")
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    summary = []
    for db in databases:
        workers = args.workers or default_workers(db)
        summary += bench(db, args.clients, args.seconds, workers, args.htmx, args.perf)
    print()
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
