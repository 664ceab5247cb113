"""Sales and cash shifts over the REST API (docs/api.md).

All staff read sales. A program sells as a cashier does at the till: in its
token owner's open shift, through `services.sell`, the checkout's own code path
(prices from the products, stock taken, a gapless receipt number, the invoice
and payments, the discount and on-account rules). Prices and totals are never
taken from a request: a body that carries one is refused. A sale needs an
`Idempotency-Key` header (pos_project/api.py): a retry returns the sale the
key made and never makes a second one.
"""

from collections.abc import Mapping

import django_filters.rest_framework as filters
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from accounts.access import MANAGE_SHIFTS, USE_TILL, VIEW_SALES
from accounts.api_access import ApiAccessMixin
from accounts.models import PaymentMethod
from customers.models import Customer
from invoices.api import (
    InvoicePaymentSerializer,
    ReferenceField,
    UserNameField,
    payments_in_order,
)
from pos_project.api import MomentFilter, idempotency_key, made_response
from pos_project.api_schema import IDEMPOTENCY_KEY, KEY_REUSED, REPLAYED
from pos_project.money import CENT, MONEY, ZERO

from . import services
from .models import (
    DiscountKind,
    Return,
    Sale,
    SaleLine,
    SaleStatus,
    Shift,
    ShiftStatus,
)

MAX_ID = 2**63 - 1
MAX_LINES = 200
MAX_PAYMENTS = 20
# An unknown field with one of these in its name is a price or a total.
PRICE_WORDS = ("price", "total", "tax", "net", "gross", "cost", "change", "balance")


# Reading sales.


class SaleLineSerializer(serializers.ModelSerializer):
    returnable = serializers.IntegerField(
        read_only=True, help_text="Sold less already returned."
    )

    class Meta:
        model = SaleLine
        fields = [
            "id",
            "product",
            "name",
            "sku",
            "quantity",
            "unit_price",
            "discount",
            "tax_rate",
            "net",
            "tax",
            "gross",
            "returned_quantity",
            "returnable",
        ]
        read_only_fields = fields


class SaleReturnSerializer(serializers.ModelSerializer):
    refund_method = serializers.CharField(
        read_only=True,
        help_text="A payment method, or `original`: back to how it was paid.",
    )

    class Meta:
        model = Return
        fields = ["id", "number", "total", "refund_method", "reason", "created_at"]
        read_only_fields = fields


@extend_schema_field(
    serializers.DictField(child=serializers.DecimalField(**MONEY), read_only=True)
)
class PaidByMethodField(serializers.Field):
    """{method: money taken by it for the sale, less what it refunded}."""

    def __init__(self, **kwargs):
        super().__init__(source="invoice", read_only=True, **kwargs)

    def to_representation(self, invoice):
        paid = {}
        for payment in invoice.payments.all():
            paid[payment.method] = paid.get(payment.method, ZERO) + payment.amount
        return {method: f"{amount:.2f}" for method, amount in paid.items()}


class SaleSerializer(serializers.ModelSerializer):
    cashier_name = UserNameField(source="cashier")
    customer_name = serializers.CharField(
        source="customer.name", read_only=True, allow_null=True
    )
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    lines = SaleLineSerializer(many=True, read_only=True)
    paid_by_method = PaidByMethodField(
        help_text="Money taken for the sale by payment method, less refunds "
        "(returns, a void). The change is already taken off the cash."
    )
    balance_due = serializers.DecimalField(
        source="invoice.balance",
        **MONEY,
        read_only=True,
        help_text="What the customer still owes for the sale (on account); "
        "negative when the shop owes them.",
    )
    payments = InvoicePaymentSerializer(
        source="invoice.payments",
        many=True,
        read_only=True,
        help_text="The payments and refunds of the sale's invoice, oldest first.",
    )
    returns = SaleReturnSerializer(many=True, read_only=True)

    class Meta:
        model = Sale
        fields = [
            "id",
            "number",
            "status",
            "created_at",
            "cashier",
            "cashier_name",
            "shift",
            "customer",
            "customer_name",
            "invoice",
            "invoice_number",
            "lines",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "tendered",
            "change_given",
            "paid_by_method",
            "balance_due",
            "payments",
            "returns",
            "discount_approved_by",
            "voided_at",
            "voided_by",
            "void_reason",
        ]
        read_only_fields = fields


class SaleFilter(filters.FilterSet):
    number = filters.CharFilter(
        method="filter_number", label="Receipt number (R-000123, or 123)"
    )
    status = filters.ChoiceFilter(choices=SaleStatus.choices)
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Sale
        fields = [
            "number",
            "customer",
            "cashier",
            "shift",
            "status",
            "created_after",
            "created_before",
        ]

    def filter_number(self, queryset, name, value):
        number = value.strip().upper()
        if number.isdigit():
            number = f"R-{int(number):06d}"
        return queryset.filter(number=number)


# Selling.


class StrictSerializer(serializers.Serializer):
    """Refuses the fields it does not know rather than ignoring them: a price or
    a total sent by a program is never used, so it must not look accepted."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [unknown_field(name)] for name in unknown}
                )
        return super().to_internal_value(data)


def unknown_field(name):
    if any(word in name.lower() for word in PRICE_WORDS):
        return "Prices and totals come from the shop's products: leave this out."
    return "Not a field of this request."


class SaleDiscountSerializer(StrictSerializer):
    """A discount: a percent, or an amount of money."""

    kind = serializers.ChoiceField(choices=DiscountKind.choices)
    value = serializers.DecimalField(
        **MONEY,
        min_value=ZERO,
        help_text="A percent (at most 100) or an amount of money.",
    )


class SaleItemSerializer(StrictSerializer):
    """A line to sell: a product (its id, or its code) and how many."""

    product = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="The product's id; or give its `code` instead.",
    )
    code = serializers.CharField(
        max_length=64,
        required=False,
        help_text="The product's barcode or SKU, as a scanner reads it.",
    )
    quantity = serializers.IntegerField(
        min_value=1, max_value=services.MAX_QUANTITY, default=1
    )
    discount = SaleDiscountSerializer(
        required=False, help_text="Off this line, before the sale's discount."
    )

    def validate(self, data):
        if ("product" in data) == ("code" in data):
            raise serializers.ValidationError(
                "Give the product's id or its code (barcode or SKU): one of them."
            )
        return data


class SaleTenderSerializer(StrictSerializer):
    """A payment handed over at the sale."""

    method = serializers.ChoiceField(
        choices=PaymentMethod.choices,
        error_messages={
            "invalid_choice": "The shop does not take payments by {input!r}."
        },
        help_text="One of the methods the shop takes at the till (shop "
        "settings); store credit is used from the customer's page.",
    )
    amount = serializers.DecimalField(
        **MONEY,
        min_value=CENT,
        help_text="Only cash may come to more than the total: the rest is change.",
    )
    reference = ReferenceField()


class SaleCreateSerializer(StrictSerializer):
    """What a program sends to sell: products and quantities, never prices."""

    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Needed for anything left to pay (on account).",
    )
    lines = SaleItemSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    discount = SaleDiscountSerializer(
        required=False,
        help_text="Off the whole sale, spread over the lines. Past the staff "
        "limit (shop settings) only an Admin's token may give it.",
    )
    payments = SaleTenderSerializer(
        many=True,
        required=False,
        max_length=MAX_PAYMENTS,
        help_text="The tenders. What they leave unpaid goes on the customer's "
        "account, within their credit limit.",
    )


def sale_items(lines):
    items = []
    for line in lines:
        discount = line.get("discount") or {}
        items.append(
            services.SaleItem(
                product=line.get("product"),
                code=line.get("code", ""),
                quantity=line["quantity"],
                discount_kind=discount.get("kind", DiscountKind.PERCENT),
                discount_value=discount.get("value", ZERO),
            )
        )
    return items


@extend_schema_view(
    list=extend_schema(summary="List sales"),
    retrieve=extend_schema(summary="A sale, as its receipt shows it"),
)
class SaleViewSet(
    ApiAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Sales, newest first: all staff read them; selling needs the till, as at
    the till."""

    required_perms = {"read": [VIEW_SALES], "create": [USE_TILL]}
    queryset = Sale.objects.select_related(
        "cashier", "customer", "invoice"
    ).prefetch_related(
        Prefetch("lines", queryset=SaleLine.objects.order_by("pk")),
        Prefetch("invoice__payments", queryset=payments_in_order()),
        Prefetch("returns", queryset=Return.objects.order_by("created_at", "pk")),
    )
    serializer_class = SaleSerializer
    # A sale's lines and payments are lists of objects: JSON only.
    parser_classes = [JSONParser]
    filterset_class = SaleFilter
    ordering_fields = ["created_at", "number", "total"]
    ordering = ["-created_at", "-pk"]

    def get_serializer_class(self):
        return SaleCreateSerializer if self.action == "create" else SaleSerializer

    @extend_schema(
        summary="Sell, as at the till",
        parameters=[IDEMPOTENCY_KEY, REPLAYED],
        request=SaleCreateSerializer,
        responses={
            201: SaleSerializer,
            200: OpenApiResponse(
                SaleSerializer,
                description="A retry: the sale this Idempotency-Key made.",
            ),
            409: KEY_REUSED,
        },
    )
    def create(self, request):
        key = idempotency_key(request)
        body = SaleCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        discount = data.get("discount") or {}
        made = services.sell(
            sale_items(data["lines"]),
            by=request.user,
            tenders=[
                services.Tender(t["method"], t["amount"], t["reference"])
                for t in data.get("payments", [])
            ],
            key=key,
            customer=data["customer"],
            discount_kind=discount.get("kind", DiscountKind.PERCENT),
            discount_value=discount.get("value", ZERO),
        )
        sale = self.get_queryset().get(pk=made.obj.pk)
        location = request.build_absolute_uri(
            reverse("api:sale-detail", args=[sale.pk])
        )
        return made_response(
            made,
            SaleSerializer(sale, context=self.get_serializer_context()).data,
            headers={"Location": location},
        )


# Cash shifts.


class ShiftSerializer(serializers.ModelSerializer):
    cashier_name = UserNameField(source="cashier")

    class Meta:
        model = Shift
        fields = [
            "id",
            "cashier",
            "cashier_name",
            "status",
            "opened_at",
            "opening_float",
            "closed_at",
            "closing_note",
            "difference_approved_by",
        ]
        read_only_fields = fields


class ShiftOpenSerializer(serializers.Serializer):
    opening_float = serializers.DecimalField(
        **MONEY,
        min_value=ZERO,
        help_text="The cash counted into the drawer before the first sale.",
    )


class ShiftFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ShiftStatus.choices)
    opened_after = MomentFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = MomentFilter(field_name="opened_at", lookup_expr="lt")

    class Meta:
        model = Shift
        fields = ["cashier", "status", "opened_after", "opened_before"]


@extend_schema_view(
    list=extend_schema(summary="List shifts (yours; every one for an Admin)"),
    retrieve=extend_schema(summary="A shift"),
)
class ShiftViewSet(
    ApiAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Cash shifts, newest first. Staff at the till see and open their own; a
    shift manager (Admin) sees every one. Close a shift at the till, where the
    drawer is counted."""

    required_perms = {"read": [USE_TILL], "create": [USE_TILL]}
    queryset = Shift.objects.select_related("cashier")
    serializer_class = ShiftSerializer
    filterset_class = ShiftFilter
    ordering_fields = ["opened_at", "closed_at"]
    ordering = ["-opened_at", "-pk"]

    def manages_shifts(self):
        return self.request.user.has_perm(MANAGE_SHIFTS)

    def get_queryset(self):
        shifts = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return shifts
        if self.action == "list" and not self.manages_shifts():
            shifts = shifts.filter(cashier=self.request.user)
        return shifts

    def get_object(self):
        # Someone else's shift is refused (403), as on the shift's page.
        shift = super().get_object()
        if shift.cashier_id != self.request.user.pk and not self.manages_shifts():
            raise PermissionDenied
        return shift

    def get_serializer_class(self):
        return ShiftOpenSerializer if self.action == "create" else ShiftSerializer

    @extend_schema(
        summary="Open your shift, with the float counted into the drawer",
        request=ShiftOpenSerializer,
        responses={201: ShiftSerializer},
    )
    def create(self, request):
        body = ShiftOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        shift = services.open_shift(
            by=request.user, opening_float=body.validated_data["opening_float"]
        )
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


ROUTES = [
    ("sales", SaleViewSet, "sale"),
    ("shifts", ShiftViewSet, "shift"),
]
