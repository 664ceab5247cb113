"""Customers over the REST API: staff find, add and change them (docs/api.md)."""

import django_filters.rest_framework as filters
from rest_framework import mixins, serializers, viewsets

from accounts.access import ADD_CUSTOMERS, CHANGE_CUSTOMERS, VIEW_CUSTOMERS
from accounts.api_access import ApiAccessMixin

from . import services
from .models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "phone",
            "email",
            "address",
            "tax_id",
            "notes",
            "marketing_consent",
            "credit_limit",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["active", "created_at", "updated_at"]


class CustomerFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Name, phone or email")

    class Meta:
        model = Customer
        fields = ["q", "active", "marketing_consent"]

    def search(self, queryset, name, value):
        return queryset.search(value)


class CustomerViewSet(
    ApiAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers: every member of staff finds, adds and edits them."""

    required_perms = {
        "read": [VIEW_CUSTOMERS],
        "create": [ADD_CUSTOMERS],
        "update": [CHANGE_CUSTOMERS],
        "partial_update": [CHANGE_CUSTOMERS],
    }
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name", "pk"]

    def perform_create(self, serializer):
        serializer.instance = services.create_customer(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_customer(
            serializer.instance, by=self.request.user, **serializer.validated_data
        )


ROUTES = [("customers", CustomerViewSet, "customer")]
