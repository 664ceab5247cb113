"""Whatever staff do, in any order, the stock ledger adds up."""

from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Role
from accounts.tests.factories import UserFactory
from inventory import services
from inventory.models import Product, StockMove
from inventory.services import StockLine
from inventory.tests.factories import ProductFactory

operations = st.lists(
    st.tuples(
        st.sampled_from(["take", "return", "receive", "adjust", "count"]),
        st.integers(min_value=0, max_value=2),  # which product
        st.integers(min_value=-5, max_value=12),  # how many
    ),
    max_size=25,
)


class LedgerProperties(TestCase):
    @settings(max_examples=40, deadline=None)
    @given(operations)
    def test_on_hand_is_always_the_sum_of_moves_and_never_negative(self, steps):
        user = UserFactory(username="prop", role=Role.ADMIN)
        products = [ProductFactory(reorder_level=3) for _ in range(3)]
        for kind, which, quantity in steps:
            product = products[which]
            try:
                if kind == "take":
                    services.take_stock([StockLine(product.pk, quantity)], by=user)
                elif kind == "return":
                    services.return_stock([StockLine(product.pk, quantity)], by=user)
                elif kind == "receive":
                    services.receive_stock(
                        [StockLine(product.pk, quantity, "3.00")],
                        by=user,
                        supplier=product.supplier,
                    )
                elif kind == "adjust":
                    services.adjust_stock(product, by=user, quantity=quantity, note="p")
                else:
                    services.count_stock({product.pk: quantity}, by=user)
            except ValidationError:
                pass  # refused: and then nothing may have changed
        for product in Product.objects.filter(pk__in=[p.pk for p in products]):
            moved = StockMove.objects.filter(product=product).aggregate(
                t=Sum("quantity")
            )
            assert product.on_hand == (moved["t"] or 0)
            assert product.on_hand >= 0
            latest = StockMove.objects.filter(product=product).order_by("-pk").first()
            assert latest is None or latest.balance_after == product.on_hand
            # An alert stays armed only while the product is low.
            assert (
                not product.low_stock_alerted
                or product.on_hand <= product.reorder_level
            )
