"""Report pages and exports on a shop with a million sale lines, SQLite and PostgreSQL.

    .venv/bin/python bench/reports.py                          # both, 1,000,000 lines
    .venv/bin/python bench/reports.py --db sqlite --sale-lines 100000
    .venv/bin/python bench/reports.py --keep                   # reuse loaded databases
    .venv/bin/python bench/reports.py --db postgres --keep --explain
    .venv/bin/python bench/reports.py --keep --time-zone Europe/London

For each database (a SQLite file in the temporary folder, or the PostgreSQL
database `pos_bench_reports` on 127.0.0.1) it migrates and loads the demo shop
with `demo_data --products 20000 --customers 2000 --sale-lines 1000000` (the
bulk sales over three years, then the usual demo: 90 days of till sales through
the services, repairs, invoices). `--keep` reuses a database already loaded
(and rebuilds its sales totals first if they were kept in another time zone).

Then, in a fresh process per measurement, signed in as the demo `manager`:
  pages: every registered report's page (`/reports/<slug>/?period=this_year`,
         sales-by-period over three years by month, and the product reports
         from 1 February and from 15 January to today), once to warm up, then
         `--runs` times with Django's test client; the median is the server time.
  xlsx:  `reports.exports.write_excel` with 100,000 rows of the report with
         the most rows over the three years (payment history when it has
         enough), streamed from the database as the export job does; timed,
         with the growth of the process's peak RSS, then again under
         tracemalloc for Python's peak allocations.
  pdf:   `reports.exports.write_pdf` with as many rows of that report as make a
         50-page PDF (pages counted with pdfinfo).
With `--explain`, the pages slower than the target show their slowest queries
and the plan of the slowest (EXPLAIN ANALYZE on PostgreSQL). `--time-zone`
runs the shop in that zone (default: the settings' TIME_ZONE), for instance
one with daylight saving time, whose changes SQLite's local dates follow.

It ends with one summary line per measurement (rows: the sale lines in the
database; table_rows: the report's rows; queries: on the warm-up request):
  load db=sqlite sale_lines=1000000 bulk_s=... lines_per_s=... total_s=...
  report name=sales-by-period db=sqlite rows=1000788 ms=... table_rows=... queries=...
  export format=xlsx db=sqlite rows=100000 s=... mib=... rss_mib=... report=... lxml=1
  export format=pdf db=sqlite pages=50 s=... rows=... report=...
"""

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_DB = "pos_bench_reports"
POSTGRES = f"postgres://postgres@127.0.0.1:5432/{POSTGRES_DB}"
SQLITE = Path(tempfile.gettempdir()) / "pos_bench_reports.sqlite3"
STATIC = Path(tempfile.gettempdir()) / "pos_bench_reports_static"  # unused, empty
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qtAc"]
PAGE_MS = 300  # the goal for a report page's server time
XLSX_ROWS = 100_000
PDF_PAGES = 50
SUMMARY = re.compile(r"^(load|report|export) \w+=")


def environment(db, time_zone=None):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pos_project.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_MANIFEST": "false",
        "STATIC_ROOT": str(STATIC),
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": "",
    }
    if time_zone:
        env["TIME_ZONE"] = time_zone
    if db == "postgres":
        env["DATABASE_URL"] = POSTGRES
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(SQLITE)
    return env


# Building the databases.


def loaded(db):
    if db == "sqlite":
        return SQLITE.exists()
    found = subprocess.run(
        [*PSQL, f"SELECT 1 FROM pg_database WHERE datname = '{POSTGRES_DB}'"],  # noqa: S608 (a constant)
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return found.stdout.strip() == "1"


def load(db, env, args):
    if db == "postgres":
        subprocess.run([*PSQL, f"DROP DATABASE IF EXISTS {POSTGRES_DB}"], check=True)
        subprocess.run([*PSQL, f"CREATE DATABASE {POSTGRES_DB}"], check=True)
    else:
        for path in SQLITE.parent.glob(SQLITE.name + "*"):
            path.unlink()
    started = time.perf_counter()
    manage(env, "migrate", "--noinput")
    output = manage(
        env, "demo_data",
        "--products", str(args.products),
        "--customers", str(args.customers),
        "--sale-lines", str(args.sale_lines),
    )  # fmt: skip
    if db == "postgres":
        # As autovacuum would soon after: planner statistics and the visibility
        # map (for index-only scans). Autovacuum may be off on a test server.
        subprocess.run([*PSQL, "VACUUM ANALYZE", "-d", POSTGRES_DB], check=True)
    total = time.perf_counter() - started
    bulk = re.search(r"Bulk sales: (\d+) sale lines over \d+ days in (\d+) s", output)
    lines, seconds = (int(bulk[1]), int(bulk[2])) if bulk else (0, 0)
    rate = lines / seconds if seconds else 0
    line = (
        f"load db={db} sale_lines={lines} bulk_s={seconds} "
        f"lines_per_s={rate:.0f} total_s={total:.0f}\n"
    )
    print(line, end="", flush=True)
    return line


def keep_totals(db, env):
    """The sales totals of a database loaded in another time zone are not
    read (the reports add up the sale lines): rebuild them in this one, then
    on PostgreSQL vacuum as after loading."""
    kept = manage(
        env, "shell", "-v", "0", "-c", "from sales import totals; print(totals.kept())"
    )
    if kept.split()[-1:] != ["True"]:
        print(manage(env, "rebuild_sales_totals").strip(), flush=True)
        if db == "postgres":
            subprocess.run([*PSQL, "VACUUM ANALYZE", "-d", POSTGRES_DB], check=True)


def manage(env, *args):
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def run(db, args):
    env = environment(db, args.time_zone)
    STATIC.mkdir(exist_ok=True)
    lines = []
    if not (args.keep and loaded(db)):
        lines.append(load(db, env, args))
    else:
        keep_totals(db, env)
    for what in args.only.split(","):
        command = [sys.executable, __file__, "--measure", what, "--db", db]
        command += ["--runs", str(args.runs)] + (["--explain"] if args.explain else [])
        child = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for line in child.stdout:
            print(line, end="", flush=True)
            if SUMMARY.match(line):
                lines.append(line)
        if child.wait():
            raise SystemExit(f"{what} on {db} failed")
    return lines


# Measuring, inside a process set up for one database.


def setup():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from reports.base import REPORTS

    if not REPORTS:
        from importlib import import_module
        from importlib.util import find_spec

        for name in ("reports.sales", "reports.operations", "reports.repairs"):
            if find_spec(name):
                import_module(name)
    return REPORTS


def sale_lines():
    from sales.models import SaleLine

    return SaleLine.objects.count()


def three_years():
    from django.utils import timezone

    today = timezone.localdate()
    return today - timedelta(days=3 * 365), today


def measure_pages(db, runs, explain):
    reports = setup()
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from reports.filters import filterset_for

    rows = sale_lines()
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    start, end = three_years()
    pages = [(slug, f"/reports/{slug}/?period=this_year") for slug in sorted(reports)]
    if "sales-by-period" in reports:
        pages.append(
            (
                "sales-by-period",
                f"/reports/sales-by-period/?period=custom&start={start}&end={end}"
                "&group_by=month",
            )
        )
    # The product reports from a month's first day, and from the middle of
    # January (the kept months plus the sale lines of the days around them).
    today = timezone.localdate()
    for first in (today.replace(month=2, day=1), today.replace(month=1, day=15)):
        if first >= today:
            continue
        pages += [
            (slug, f"/reports/{slug}/?period=custom&start={first}&end={today}")
            for slug in (
                "sales-by-product",
                "sales-by-category",
                "top-products",
                "slow-movers",
            )
            if slug in reports
        ]
    for slug, url in pages:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)  # warms up; counts the queries
        # Each request clears the connection's log: keep this one's queries.
        captured = queries.captured_queries
        if response.status_code != 200:
            status = response.status_code
            print(f"report name={slug} db={db} rows={rows} status={status}")
            continue
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        ms = statistics.median(times)
        report = reports[slug]
        filterset = filterset_for(report, QueryDict(url.partition("?")[2]))
        table = count_rows(report.rows(filterset.qs, filterset.params()))
        extra = " period=3y_by_month" if "group_by=month" in url else ""
        if "period=custom" in url and not extra:
            extra = f" period=from_{url.split('start=')[1][5:10]}"
        print(
            f"report name={slug} db={db} rows={rows} ms={ms:.0f}{extra} "
            f"table_rows={table} queries={len(captured)}",
            flush=True,
        )
        if explain and ms > PAGE_MS:
            show_plans(captured)


def show_plans(captured):
    from django.db import connection

    slowest = sorted(captured, key=lambda q: -float(q["time"]))[:3]
    for query in slowest:
        print(f"    {float(query['time']) * 1000:.0f} ms: {query['sql'][:600]}")
    sql = slowest[0]["sql"]
    if not sql.lstrip().upper().startswith("SELECT"):
        return
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        # The captured SQL has its parameters already inlined.
        cursor.execute(prefix + sql)
        for row in cursor.fetchall():
            print("    | " + " ".join(str(v) for v in row))


def export_source(reports):
    """(report, filterset, rows, count) for the exports: payment history over
    three years when it has enough rows for the Excel goal, else the report
    with the most rows."""
    from django.http import QueryDict

    from reports.filters import filterset_for

    start, end = three_years()
    query = QueryDict(f"period=custom&start={start}&end={end}&group_by=day")

    def source(report):
        filterset = filterset_for(report, query)
        rows = report.rows(filterset.qs, filterset.params())
        return report, filterset, rows, count_rows(rows)

    if "payment-history" in reports:
        payments = source(reports["payment-history"])
        if payments[3] >= XLSX_ROWS:
            return payments
    return max(map(source, reports.values()), key=lambda found: found[3])


def count_rows(rows):
    from reports import views

    return views.count_rows(rows)


def measure_xlsx(db):
    import resource
    import tracemalloc

    reports = setup()
    from accounts.models import ShopSettings
    from reports import exports, views

    report, filterset, rows, count = export_source(reports)
    params = filterset.params()
    shop = ShopSettings.load()
    totals = report.totals(filterset.qs, params)
    wanted = min(count, XLSX_ROWS)

    def write():
        output = exports.write_excel(
            report, views.iterate(rows[:wanted]), totals, params, shop=shop
        )
        size = output.seek(0, 2)
        output.close()
        return size

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    size = write()
    seconds = time.perf_counter() - started
    rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    tracemalloc.start()
    write()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    from openpyxl.xml import LXML

    print(
        f"export format=xlsx db={db} rows={wanted} s={seconds:.2f} mib={peak:.1f} "
        f"rss_mib={rss:.1f} report={report.slug} report_rows={count} "
        f"file_mib={size / 2**20:.1f} lxml={int(LXML)}",
        flush=True,
    )


def pdf_pages(pdf):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        info = subprocess.run(
            ["pdfinfo", file.name], capture_output=True, text=True, check=True
        ).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])


def measure_pdf(db):
    reports = setup()
    from accounts.models import ShopSettings
    from reports import exports, views

    report, filterset, rows, count = export_source(reports)
    params = filterset.params()
    shop = ShopSettings.load()
    totals = report.totals(filterset.qs, params)

    def render(wanted):
        some = rows[:wanted]
        started = time.perf_counter()
        pdf = exports.write_pdf(
            report, views.iterate(some), totals, params, shop=shop,
            chart_svg=views.pdf_chart(report, some, params),
        )  # fmt: skip
        return pdf_pages(pdf), time.perf_counter() - started

    wanted, tried = min(2000, count), {}
    while wanted not in tried:
        tried[wanted] = render(wanted)
        pages = tried[wanted][0]
        if pages == PDF_PAGES or wanted >= count:
            break
        # Rows per page are about even: aim at the last row of page 50.
        per_page = wanted / pages
        wanted = min(count, int(per_page * (PDF_PAGES - 0.5)))
    pages, seconds = tried[wanted]
    print(
        f"export format=pdf db={db} pages={pages} s={seconds:.2f} rows={wanted} "
        f"report={report.slug}",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sale-lines", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page")
    parser.add_argument(
        "--keep", action="store_true", help="reuse a database already loaded"
    )
    parser.add_argument(
        "--explain", action="store_true", help="plans of the pages over the goal"
    )
    parser.add_argument(
        "--only", default="pages,xlsx,pdf", help="some of pages,xlsx,pdf"
    )
    parser.add_argument(
        "--time-zone", help="the shop's time zone (default: the settings')"
    )
    parser.add_argument(
        "--measure", choices=["pages", "xlsx", "pdf"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:
        if args.measure == "pages":
            measure_pages(args.db, args.runs, args.explain)
        elif args.measure == "xlsx":
            measure_xlsx(args.db)
        else:
            measure_pdf(args.db)
        return
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    summary = [line for db in databases for line in run(db, args)]
    print()
    print("".join(summary), end="")


if __name__ == "__main__":
    main()
