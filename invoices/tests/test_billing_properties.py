"""Whatever is paid, refunded or credited, in any order, the ledger adds up."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Role
from accounts.tests.factories import UserFactory
from invoices import services
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import line

cents = st.decimals(min_value="0.01", max_value="300.00", places=2)
steps = st.lists(
    st.tuples(st.sampled_from(["pay", "refund", "credit"]), cents),
    max_size=12,
)
lines = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=5),
        st.decimals(min_value="0.01", max_value="250.00", places=2),
        st.sampled_from(["0", "5", "20"]),
    ),
    min_size=1,
    max_size=5,
)


class BillingProperties(TestCase):
    @settings(max_examples=40, deadline=None)
    @given(lines, steps)
    def test_balance_is_total_less_credits_and_payments_and_status_follows(
        self, raw_lines, actions
    ):
        admin = UserFactory(username="prop-admin", role=Role.ADMIN)
        invoice = services.create_invoice(
            [line("Item", q, str(p), r) for q, p, r in raw_lines], by=admin
        )
        payments = []
        for action, amount in actions:
            try:
                if action == "pay":
                    payments.append(
                        services.record_payment(
                            invoice, by=admin, amount=amount, method="cash"
                        )
                    )
                elif action == "refund" and payments:
                    services.refund_payment(
                        payments[-1], by=admin, amount=amount, reason="p"
                    )
                elif action == "credit":
                    services.credit_invoice(
                        invoice,
                        [line("Credit", 1, str(amount), "0")],
                        by=admin,
                        reason="p",
                    )
            except ValidationError:
                pass  # refused: nothing may have changed
        invoice = Invoice.objects.get(pk=invoice.pk)
        paid = sum((p.amount for p in invoice.payments.all()), Decimal("0.00"))
        credited = sum((n.total for n in invoice.credit_notes.all()), Decimal("0.00"))
        assert invoice.total == sum(item.gross for item in invoice.lines.all())
        assert invoice.amount_paid == paid
        assert invoice.amount_credited == credited
        assert invoice.balance == invoice.total - credited - paid
        assert paid >= 0
        for figure in (invoice.total, invoice.balance, invoice.amount_paid):
            assert figure.as_tuple().exponent == -2
        if invoice.balance <= 0:
            assert invoice.status == InvoiceStatus.PAID
        elif paid or credited:
            assert invoice.status == InvoiceStatus.PARTIALLY_PAID
        else:
            assert invoice.status == InvoiceStatus.ISSUED
