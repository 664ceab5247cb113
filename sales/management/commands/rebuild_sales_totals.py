from time import monotonic

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from sales import totals
from sales.models import DailyTotal, ProductTotal


class Command(BaseCommand):
    help = (
        "Compute the sales totals per day and cashier (sales.DailyTotal) and per "
        "product and month or year (sales.ProductTotal) again "
        "from the sales and returns, in the shop's current time zone: after the "
        "time zone changes, or sales were imported directly. With --check, "
        "compare instead, and exit 1 where they differ."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing; list the days whose totals differ from the sales",
        )

    def handle(self, *args, check=False, **options):
        started = monotonic()
        if check:
            if not totals.kept():
                raise CommandError(
                    f"Some totals were kept in another time zone than "
                    f"{totals.zone_name()}; run rebuild_sales_totals."
                )
            found = totals.differences()
            for table, key, figure, kept, computed in found[:50]:
                where = " ".join(str(part) for part in key)
                self.stderr.write(
                    f"{table} {where}: {figure} kept {kept}, "
                    f"the sales add up to {computed}"
                )
            if found:
                raise CommandError(
                    f"{len(found)} figures differ; run rebuild_sales_totals."
                )
            self.stdout.write("The sales totals agree with the sales.")
            return
        days, products = totals.rebuild()
        if connection.vendor == "postgresql":
            # Fresh planner statistics for the rows just replaced.
            with connection.cursor() as cursor:
                tables = [
                    connection.ops.quote_name(model._meta.db_table)
                    for model in (DailyTotal, ProductTotal)
                ]
                cursor.execute(f"ANALYZE {', '.join(tables)}")
        self.stdout.write(
            f"Sales totals in {totals.zone_name()}: {days} days × cashiers, "
            f"{products} products × months and years, "
            f"in {monotonic() - started:.1f} s."
        )
