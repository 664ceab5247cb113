from decimal import Decimal

import factory

from accounts.models import TaxRate
from inventory.models import Category, Product, Supplier


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate
        django_get_or_create = ["name"]

    name = "Standard"
    rate = Decimal("20.00")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Category {n}")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Supplier {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """A stocked product with no stock; give it stock through the services."""

    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    barcode = factory.Sequence(lambda n: f"40000{n:08d}")
    category = factory.SubFactory(CategoryFactory)
    supplier = factory.SubFactory(SupplierFactory)
    sale_price = Decimal("19.99")
    cost_price = Decimal("8.00")
    tax_rate = factory.SubFactory(TaxRateFactory)
    tracks_stock = True
    reorder_level = 2


class ServiceFactory(ProductFactory):
    """Labour or another service: holds no stock."""

    name = factory.Sequence(lambda n: f"Service {n}")
    tracks_stock = False
    reorder_level = 0
    cost_price = Decimal("0.00")
