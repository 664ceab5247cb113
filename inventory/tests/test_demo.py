from io import StringIO

from django.core.management import call_command

from inventory.models import Product, StockMove


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
