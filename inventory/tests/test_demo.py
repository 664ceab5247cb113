import random
from io import StringIO

from django.core.management import call_command

from accounts.models import Notification, Role
from accounts.tests.factories import UserFactory
from inventory import services
from inventory.demo import restock_low
from inventory.models import Product, StockMove
from inventory.services import StockLine
from inventory.tasks import alert_low_stock
from inventory.tests.factories import ProductFactory, SupplierFactory


def load(*args):
    small = ["--customers", "20", "--invoices", "5", "--sales", "10", "--repairs", "5"]
    call_command("demo_data", *args, *small, stdout=StringIO())


def test_demo_data_fills_a_realistic_catalogue_with_some_low_and_out_of_stock(db):
    load()
    # The repair demo adds the parts its repairs used, in their own category.
    products = Product.objects.exclude(category__name="Repair parts")
    assert 180 <= products.count() <= 220
    assert products.filter(tracks_stock=False).count() >= 10
    assert products.out_of_stock().count() >= 3
    assert products.low_stock().filter(on_hand__gt=0).count() >= 5
    assert not products.filter(tracks_stock=True, barcode="").exists()
    assert StockMove.objects.filter(reason="receive").exists()
    call_command("check_stock", stdout=StringIO())


def test_demo_data_sizes_the_catalogue_on_request_and_is_idempotent(db):
    load("--products", "300")
    load("--products", "500")
    assert Product.objects.exclude(category__name="Repair parts").count() == 300


def test_a_demo_delivery_restocks_what_ran_low_and_reads_its_alerts(db):
    manager = UserFactory(role=Role.ADMIN)
    cashier = UserFactory(role=Role.USER)
    supplier = SupplierFactory()
    sold = [ProductFactory(supplier=supplier, reorder_level=2) for _ in range(3)]
    services.record_opening_stock([StockLine(p, 5) for p in sold], by=manager)
    started_low = ProductFactory(supplier=supplier, reorder_level=2)
    services.record_opening_stock([StockLine(started_low, 1)], by=manager)
    services.take_stock([StockLine(p, 4) for p in sold], by=cashier)
    # The alerts went out (the tests run no after-commit work: sent here).
    alert_low_stock([p.pk for p in sold])
    assert Notification.objects.unread().filter(recipient=manager).count() == 3

    restock_low(random.Random(1), manager, leave=1)

    on_hand = dict(Product.objects.values_list("pk", "on_hand"))
    still_low = [p for p in sold if on_hand[p.pk] <= 2]
    assert len(still_low) == 1
    assert all(on_hand[p.pk] >= 6 for p in sold if p not in still_low)
    assert on_hand[started_low.pk] == 1
    unread = Notification.objects.unread().filter(recipient=manager)
    assert [n.url for n in unread] == [still_low[0].get_absolute_url()]
    call_command("check_stock", stdout=StringIO())
