from django.core.management.base import BaseCommand, CommandError
from django.db.models import F, Max, Sum, Value
from django.db.models.functions import Coalesce

from inventory.models import Product, StockMove


class Command(BaseCommand):
    help = (
        "Prove that every product's on-hand figure equals the sum of its stock "
        "moves and the running balance of its latest move. Exits 1 if not."
    )

    def handle(self, *args, **options):
        unequal_sums = (
            Product.objects.annotate(moved=Coalesce(Sum("moves__quantity"), Value(0)))
            .exclude(on_hand=F("moved"))
            .values_list("sku", "name", "on_hand", "moved")
        )
        problems = [
            f"{sku} {name}: on hand {on_hand}, its moves add up to {moved}"
            for sku, name, on_hand, moved in unequal_sums
        ]
        latest = (
            StockMove.objects.values("product").annotate(last=Max("pk")).values("last")
        )
        unequal_balances = (
            StockMove.objects.filter(pk__in=latest)
            .exclude(balance_after=F("product__on_hand"))
            .values_list(
                "product__sku", "product__name", "product__on_hand", "balance_after"
            )
        )
        problems += [
            f"{sku} {name}: on hand {on_hand}, its latest move left {balance}"
            for sku, name, on_hand, balance in unequal_balances
        ]
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"Stock does not add up: {len(problems)} problem(s).")
        total = Product.objects.count()
        self.stdout.write(
            self.style.SUCCESS(f"Stock adds up for all {total} products.")
        )
