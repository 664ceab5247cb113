"""Invoices and payments over the REST API (docs/api.md).

All staff read invoices and record payments on them through
`services.record_payment`, as the invoice page does; the list of every payment
is for Admins, as the payments page is. Money-moving requests carry an
`Idempotency-Key` header (pos_project/api.py): a retry with the key returns
what the first request made (200, `Idempotent-Replayed: true`) and never
takes the money twice.
"""

import django_filters.rest_framework as filters
from django.db.models import Prefetch
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.access import (
    RECORD_PAYMENTS,
    VIEW_INVOICES,
    VIEW_RECEIVABLES,
)
from accounts.api_access import ApiAccessMixin
from accounts.models import PaymentMethod
from pos_project.api import MomentFilter, idempotency_key, made_response
from pos_project.api_schema import IDEMPOTENCY_KEY, KEY_REUSED, REPLAYED
from pos_project.money import CENT, MONEY
from pos_project.validators import refuse_card_number

from . import services
from .models import (
    OPEN_STATUSES,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
    Payment,
)

# Reading invoices and payments.


class UserNameField(serializers.CharField):
    """A member of staff's name, as the pages print it (null: nobody)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return str(value)


class InvoicePaymentSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(
        source="invoice.customer_id", read_only=True, allow_null=True
    )
    invoice_number = serializers.CharField(
        source="invoice.number", read_only=True, allow_null=True
    )
    invoice_balance = serializers.DecimalField(
        source="invoice.balance",
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="What is left to pay on the invoice now.",
    )
    received_by_name = UserNameField(source="received_by")
    is_refund = serializers.BooleanField(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "invoice_balance",
            "customer",
            "amount",
            "method",
            "reference",
            "note",
            "is_refund",
            "refund_of",
            "received_by",
            "received_by_name",
            "received_at",
        ]
        read_only_fields = fields


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "position",
            "description",
            "sku",
            "quantity",
            "unit_price",
            "discount",
            "tax_rate",
            "net",
            "tax",
            "gross",
        ]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(
        source="customer.name", read_only=True, allow_null=True
    )
    is_overdue = serializers.BooleanField(read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)
    payments = InvoicePaymentSerializer(
        many=True,
        read_only=True,
        help_text="Payments, refunds (negative) and store credit, oldest first.",
    )
    credit_notes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    created_by_name = UserNameField(source="created_by")

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "source",
            "status",
            "customer",
            "customer_name",
            "bill_to_name",
            "bill_to_address",
            "bill_to_tax_id",
            "issue_date",
            "due_date",
            "is_overdue",
            "payment_terms_days",
            "prices_include_tax",
            "lines",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "amount_paid",
            "amount_credited",
            "balance",
            "payments",
            "credited_invoice",
            "credit_notes",
            "notes",
            "created_by",
            "created_by_name",
            "created_at",
            "void_reason",
            "voided_by",
            "voided_at",
        ]
        read_only_fields = fields


class InvoiceFilter(filters.FilterSet):
    number = filters.CharFilter(field_name="number", lookup_expr="iexact")
    status = filters.MultipleChoiceFilter(choices=InvoiceStatus.choices)
    kind = filters.ChoiceFilter(choices=InvoiceKind.choices)
    source = filters.ChoiceFilter(choices=InvoiceSource.choices)
    outstanding = filters.BooleanFilter(
        method="filter_outstanding", label="Issued, with something left to pay"
    )
    overdue = filters.BooleanFilter(
        method="filter_overdue", label="Outstanding past the due date"
    )
    issued_after = filters.DateFilter(field_name="issue_date", lookup_expr="gte")
    issued_before = filters.DateFilter(field_name="issue_date", lookup_expr="lte")

    class Meta:
        model = Invoice
        fields = [
            "number",
            "customer",
            "status",
            "kind",
            "source",
            "outstanding",
            "overdue",
            "issued_after",
            "issued_before",
        ]

    def filter_outstanding(self, queryset, name, value):
        outstanding = {"status__in": OPEN_STATUSES, "balance__gt": 0}
        if value:
            return queryset.filter(**outstanding)
        return queryset.exclude(**outstanding)

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


def payments_in_order():
    return Payment.objects.select_related("received_by").order_by("received_at", "pk")


class ReferenceField(serializers.CharField):
    """A payment's reference: the terminal's or the card's last four digits
    (a full card number is refused by the billing service)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault(
            "help_text",
            "The terminal's reference or the card's last four digits; a full "
            "card number is refused.",
        )
        super().__init__(**kwargs)


class PaymentCreateSerializer(serializers.Serializer):
    """A payment taken for an invoice, as the invoice page's form takes it."""

    amount = serializers.DecimalField(**MONEY, min_value=CENT)
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices,
        error_messages={
            "invalid_choice": "The shop does not take payments by {input!r}."
        },
        help_text="One of the methods the shop takes (shop settings).",
    )
    reference = ReferenceField()
    note = serializers.CharField(
        validators=[refuse_card_number],
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
    )


@extend_schema_view(
    list=extend_schema(summary="List invoices and credit notes"),
    retrieve=extend_schema(summary="An invoice with its lines and payments"),
)
class InvoiceViewSet(ApiAccessMixin, viewsets.ReadOnlyModelViewSet):
    """Invoices and credit notes, newest first: all staff read them and take
    payments for them."""

    required_perms = {
        "read": [VIEW_INVOICES],
        # Only the payments action writes: the invoice page's "Record payment".
        "write": [RECORD_PAYMENTS],
    }
    queryset = Invoice.objects.select_related(
        "customer", "created_by"
    ).prefetch_related(
        "lines",
        Prefetch("payments", queryset=payments_in_order()),
        Prefetch(
            "credit_notes", queryset=Invoice.objects.only("pk", "credited_invoice")
        ),
    )
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = [
        "created_at",
        "issue_date",
        "due_date",
        "number",
        "total",
        "balance",
    ]
    ordering = ["-created_at", "-pk"]

    @extend_schema(
        methods=["GET"],
        summary="The invoice's payments and refunds",
        filters=False,
        responses=InvoicePaymentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a payment for the invoice",
        filters=False,
        parameters=[IDEMPOTENCY_KEY, REPLAYED],
        request=PaymentCreateSerializer,
        responses={
            201: InvoicePaymentSerializer,
            200: OpenApiResponse(
                InvoicePaymentSerializer,
                description="A retry: the payment this Idempotency-Key recorded.",
            ),
            409: KEY_REUSED,
        },
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def payments(self, request, pk=None):
        invoice = self.get_object()
        if request.method == "GET":
            payments = invoice.payments.all()
            return Response(InvoicePaymentSerializer(payments, many=True).data)
        key = idempotency_key(request)
        body = PaymentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = services.record_payment_once(
            invoice, by=request.user, key=key, **body.validated_data
        )
        payment = Payment.objects.for_lists().get(pk=made.obj.pk)
        return made_response(made, InvoicePaymentSerializer(payment).data)


class PaymentFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="invoice__customer")
    method = filters.MultipleChoiceFilter(choices=PaymentMethod.choices)
    refunds = filters.BooleanFilter(method="filter_refunds", label="Refunds only")
    received_after = MomentFilter(field_name="received_at", lookup_expr="gte")
    received_before = MomentFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Payment
        fields = [
            "invoice",
            "customer",
            "method",
            "received_by",
            "refunds",
            "received_after",
            "received_before",
        ]

    def filter_refunds(self, queryset, name, value):
        return queryset.refunds() if value else queryset.received()


@extend_schema_view(
    list=extend_schema(summary="List every payment and refund"),
    retrieve=extend_schema(summary="A payment or refund"),
)
class PaymentViewSet(ApiAccessMixin, viewsets.ReadOnlyModelViewSet):
    """Every payment and refund, newest first: for Admins, as the payments page.
    Payments are recorded on their invoice (`/invoices/{id}/payments/`)."""

    required_perms = {"read": [VIEW_RECEIVABLES]}
    queryset = Payment.objects.for_lists()
    serializer_class = InvoicePaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["received_at", "amount"]
    ordering = ["-received_at", "-pk"]


ROUTES = [
    ("invoices", InvoiceViewSet, "invoice"),
    ("payments", PaymentViewSet, "payment"),
]
