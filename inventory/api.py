"""Products and the stock ledger over the REST API (docs/api.md).

Reads for all staff; products are created and changed by Admins through the
same services as the pages. Stock moves are read-only: stock changes through
documents (receipts, counts, sales), never by writing a move.
"""

import django_filters.rest_framework as filters
from rest_framework import mixins, serializers, viewsets

from accounts.access import ADD_PRODUCTS, CHANGE_PRODUCTS, VIEW_COSTS, VIEW_PRODUCTS
from accounts.api_access import ApiAccessMixin
from accounts.models import TaxRate
from pos_project.api import MomentFilter

from . import services
from .models import (
    MAX_STOCK_QUANTITY,
    Category,
    Product,
    StockMove,
    StockReason,
    StockState,
    Supplier,
)

VIEW_STOCK_MOVES = "inventory.view_stockmove"


class CostField(serializers.DecimalField):
    """A cost, shown (not null) only to staff who may see costs."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(allow_null=True, **kwargs)

    def get_attribute(self, instance):
        request = self.context.get("request")
        if request is None or not request.user.has_perm(VIEW_COSTS):
            return None
        return super().get_attribute(instance)


class ProductSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(
        source="category.name", read_only=True, allow_null=True
    )
    cost_price = CostField(
        min_value=0,
        required=False,
        help_text="Null for staff who may not see costs.",
    )
    stock_state = serializers.ChoiceField(
        choices=StockState.choices,
        read_only=True,
        allow_null=True,
        help_text="Null for services, which hold no stock.",
    )
    opening_stock = serializers.IntegerField(
        min_value=0,
        max_value=MAX_STOCK_QUANTITY,
        default=0,
        write_only=True,
        help_text="On creation only: the stock on the shelf now.",
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "sku",
            "barcode",
            "description",
            "category",
            "category_name",
            "supplier",
            "sale_price",
            "cost_price",
            "tax_rate",
            "tracks_stock",
            "reorder_level",
            "on_hand",
            "stock_state",
            "needs_count",
            "active",
            "opening_stock",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["on_hand", "needs_count", "created_at", "updated_at"]
        # Uniqueness (SKU, barcode) is the service's to check, with its messages.
        validators = []
        extra_kwargs = {
            "sku": {"validators": []},
            "barcode": {"validators": []},
            "category": {"queryset": Category.objects.all()},
            "supplier": {"queryset": Supplier.objects.all()},
            "tax_rate": {"queryset": TaxRate.objects.filter(active=True)},
        }

    def validate_cost_price(self, value):
        if value is None:
            raise serializers.ValidationError("Give a cost price, or leave it out.")
        return value

    def validate_opening_stock(self, value):
        if self.instance is not None and value:
            raise serializers.ValidationError(
                "Only a new product takes opening stock; receive or adjust stock "
                "instead."
            )
        return value


class ProductFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Name, SKU or barcode")
    stock = filters.ChoiceFilter(
        choices=StockState.choices, method="filter_stock", label="Stock state"
    )
    low_stock = filters.BooleanFilter(
        method="filter_low_stock", label="At or below the reorder level"
    )

    class Meta:
        model = Product
        fields = ["q", "category", "supplier", "active", "tracks_stock", "stock"]

    def search(self, queryset, name, value):
        return queryset.search(value)

    def filter_stock(self, queryset, name, value):
        return queryset.in_state(value)

    def filter_low_stock(self, queryset, name, value):
        low = queryset.low_stock()
        return low if value else queryset.exclude(pk__in=low.values("pk"))


class ProductViewSet(
    ApiAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Products: all staff read them; Admins create and change them (prices too)."""

    required_perms = {
        "read": [VIEW_PRODUCTS],
        "create": [ADD_PRODUCTS],
        "update": [CHANGE_PRODUCTS],
        "partial_update": [CHANGE_PRODUCTS],
    }
    queryset = Product.objects.for_lists()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    ordering_fields = [
        "name",
        "sku",
        "sale_price",
        "on_hand",
        "created_at",
        "updated_at",
    ]
    ordering = ["name", "pk"]

    def perform_create(self, serializer):
        serializer.instance = services.create_product(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        fields.pop("opening_stock", None)
        serializer.instance = services.update_product(
            serializer.instance, by=self.request.user, **fields
        )


class StockMoveSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    user_name = serializers.CharField(source="user.__str__", read_only=True)
    unit_cost = CostField(
        read_only=True, help_text="Null for staff who may not see costs."
    )

    class Meta:
        model = StockMove
        fields = [
            "id",
            "product",
            "product_name",
            "quantity",
            "reason",
            "balance_after",
            "unit_cost",
            "reference_label",
            "note",
            "user",
            "user_name",
            "created_at",
        ]
        read_only_fields = fields


class StockMoveFilter(filters.FilterSet):
    reason = filters.MultipleChoiceFilter(choices=StockReason.choices)
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = StockMove
        fields = ["product", "reason", "user", "created_after", "created_before"]


class StockMoveViewSet(ApiAccessMixin, viewsets.ReadOnlyModelViewSet):
    """The stock ledger, newest first: every change of on-hand stock."""

    required_perms = {"read": [VIEW_STOCK_MOVES]}
    queryset = StockMove.objects.select_related("product", "user")
    serializer_class = StockMoveSerializer
    filterset_class = StockMoveFilter
    ordering_fields = ["created_at", "quantity"]
    ordering = ["-created_at", "-pk"]


ROUTES = [
    ("products", ProductViewSet, "product"),
    ("stock-moves", StockMoveViewSet, "stockmove"),
]
