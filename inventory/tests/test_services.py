from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Sum

from accounts.models import Notification, Role, ShopSettings
from accounts.tests.factories import UserFactory
from inventory import services
from inventory.models import Product, StockMove, StockReason
from inventory.services import StockLine
from inventory.tests.factories import (
    ProductFactory,
    ServiceFactory,
    SupplierFactory,
    TaxRateFactory,
)


@pytest.fixture
def stocked(manager):
    """A product with 10 units at 8.00, reorder level 2."""
    product = ProductFactory(cost_price=Decimal("8.00"), reorder_level=2)
    services.record_opening_stock([StockLine(product, 10)], by=manager)
    product.refresh_from_db()
    return product


def on_hand(product):
    return Product.objects.get(pk=product.pk).on_hand


def moves_total(product):
    return (
        StockMove.objects.filter(product=product).aggregate(t=Sum("quantity"))["t"] or 0
    )


# Taking stock (sales, repair parts).


def test_taking_stock_lowers_on_hand_and_writes_one_move(stocked, cashier):
    [move] = services.take_stock(
        [StockLine(stocked, 3)], by=cashier, reference_label="R-1"
    )
    assert on_hand(stocked) == 7
    assert move.quantity == -3
    assert move.reason == StockReason.SALE
    assert move.balance_after == 7
    assert move.reference_label == "R-1"
    assert move.user == cashier
    assert moves_total(stocked) == 7


def test_a_move_out_keeps_the_cost_price_of_the_moment(stocked, cashier):
    [sold] = services.take_stock([StockLine(stocked, 1)], by=cashier)
    Product.objects.filter(pk=stocked.pk).update(cost_price=Decimal("9.50"))
    [fitted] = services.take_stock(
        [StockLine(Product.objects.get(pk=stocked.pk), 1)],
        by=cashier,
        reason=StockReason.REPAIR_PART,
    )
    sold.refresh_from_db()
    assert (sold.unit_cost, fitted.unit_cost) == (Decimal("8.00"), Decimal("9.50"))


def test_taking_more_than_is_on_hand_is_refused_naming_the_product(stocked, cashier):
    with pytest.raises(ValidationError) as refusal:
        services.take_stock([StockLine(stocked, 11)], by=cashier)
    assert refusal.value.messages == [
        f"Not enough stock of {stocked.name}: 10 in stock, 11 wanted."
    ]
    assert on_hand(stocked) == 10
    assert StockMove.objects.filter(product=stocked).count() == 1


def test_one_short_product_refuses_the_whole_take(stocked, manager, cashier):
    scarce = ProductFactory()
    services.record_opening_stock([StockLine(scarce, 1)], by=manager)
    with pytest.raises(ValidationError):
        services.take_stock([StockLine(stocked, 2), StockLine(scarce, 2)], by=cashier)
    assert on_hand(stocked) == 10
    assert on_hand(scarce) == 1


def test_repeated_lines_of_one_product_are_added_together(stocked, cashier):
    with pytest.raises(ValidationError):
        services.take_stock([StockLine(stocked, 6), StockLine(stocked, 5)], by=cashier)
    [move] = services.take_stock(
        [StockLine(stocked, 4), StockLine(stocked.pk, 5)], by=cashier
    )
    assert move.quantity == -9
    assert on_hand(stocked) == 1


def test_services_hold_no_stock_and_are_skipped(cashier):
    labour = ServiceFactory()
    assert services.take_stock([StockLine(labour, 3)], by=cashier) == []
    assert on_hand(labour) == 0


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", True, None])
def test_quantities_must_be_whole_numbers_above_zero(stocked, cashier, quantity):
    with pytest.raises(ValidationError):
        services.take_stock([StockLine(stocked, quantity)], by=cashier)
    assert on_hand(stocked) == 10


def test_with_negative_stock_allowed_a_short_sale_goes_through_and_flags_the_product(
    stocked, cashier
):
    shop = ShopSettings.load()
    shop.allow_negative_stock = True
    shop.save()
    services.take_stock([StockLine(stocked, 12)], by=cashier)
    stocked.refresh_from_db()
    assert stocked.on_hand == -2
    assert stocked.needs_count is True
    assert moves_total(stocked) == -2


def test_take_stock_only_takes_for_sales_and_repairs(stocked, cashier):
    with pytest.raises(ValueError):
        services.take_stock(
            [StockLine(stocked, 1)], by=cashier, reason=StockReason.COUNT
        )


def test_moves_point_at_the_document_that_caused_them(stocked, manager):
    receipt = services.receive_stock(
        [StockLine(stocked, 1, "8.00")], by=manager, supplier=stocked.supplier
    )
    [move] = StockMove.objects.for_document(receipt)
    assert move.reference == receipt
    assert move.reference_label == str(receipt)


# Low-stock alerts.


@pytest.fixture
def staff(db):
    return {
        "owner": UserFactory(username="alert-owner", role=Role.SUPER_ADMIN),
        "manager": UserFactory(username="alert-manager", role=Role.ADMIN),
        "cashier": UserFactory(username="alert-cashier", role=Role.USER),
        "gone": UserFactory(username="alert-gone", role=Role.ADMIN, is_active=False),
    }


def test_reaching_the_reorder_level_alerts_each_admin_once(
    stocked, staff, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.take_stock([StockLine(stocked, 8)], by=staff["cashier"])
    alerts = Notification.objects.filter(kind="low_stock")
    # Every active Admin and Super Admin: the stocked fixture's manager too.
    assert sorted(a.recipient.username for a in alerts) == [
        "alert-manager",
        "alert-owner",
        "manager",
    ]
    assert alerts[0].title == f"{stocked.name} is running low"
    assert alerts[0].url == stocked.get_absolute_url()
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == sorted(a.recipient.email for a in alerts)
    assert stocked.sku in mailoutbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        services.take_stock([StockLine(stocked, 1)], by=staff["cashier"])
    assert Notification.objects.filter(kind="low_stock").count() == 3
    assert len(mailoutbox) == 1


def test_restocking_rearms_the_alert(
    stocked, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.take_stock([StockLine(stocked, 9)], by=staff["cashier"])
    with django_capture_on_commit_callbacks(execute=True):
        services.receive_stock(
            [StockLine(stocked, 10, "8.00")],
            by=staff["manager"],
            supplier=stocked.supplier,
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.take_stock([StockLine(stocked, 11)], by=staff["cashier"])
    titles = Notification.objects.filter(recipient=staff["manager"]).values_list(
        "title", flat=True
    )
    assert list(titles) == [
        f"{stocked.name} is out of stock",
        f"{stocked.name} is running low",
    ]


def test_an_alert_overtaken_by_a_delivery_is_not_sent(
    stocked, staff, django_capture_on_commit_callbacks, mailoutbox
):
    # The alert goes out after the sale commits (on a worker, maybe later): by
    # then the product may be back on the shelf.
    with django_capture_on_commit_callbacks() as callbacks:
        services.take_stock([StockLine(stocked, 8)], by=staff["cashier"])
    services.receive_stock(
        [StockLine(stocked, 10, "8.00")], by=staff["manager"], supplier=stocked.supplier
    )
    for callback in callbacks:
        callback()
    assert not Notification.objects.filter(kind="low_stock").exists()
    assert mailoutbox == []


def test_staying_above_the_reorder_level_alerts_nobody(
    stocked, staff, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.take_stock([StockLine(stocked, 7)], by=staff["cashier"])
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_a_refused_sale_sends_no_alert(
    stocked, staff, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        services.take_stock([StockLine(stocked, 50)], by=staff["cashier"])
    assert callbacks == []
    assert Product.objects.get(pk=stocked.pk).low_stock_alerted is False


# Giving stock back.


def test_returning_stock_raises_on_hand(stocked, cashier):
    services.take_stock([StockLine(stocked, 4)], by=cashier)
    [move] = services.return_stock([StockLine(stocked, 1)], by=cashier)
    assert move.reason == StockReason.RETURN
    assert on_hand(stocked) == 7


def test_return_stock_only_returns(stocked, cashier):
    with pytest.raises(ValueError):
        services.return_stock(
            [StockLine(stocked, 1)], by=cashier, reason=StockReason.SALE
        )


# Receiving.


@pytest.mark.parametrize(
    "held, held_cost, received, unit_cost, expected",
    [
        (10, "8.00", 10, "10.00", Decimal("9.00")),
        (0, "8.00", 5, "6.50", Decimal("6.50")),
        (2, "1.00", 1, "2.00", Decimal("1.33")),
        (1, "1.00", 1, "1.01", Decimal("1.01")),  # 1.005 rounds half up
        (3, "1.00", 1, "2.00", Decimal("1.25")),
    ],
)
def test_receiving_averages_the_cost_price(
    manager, held, held_cost, received, unit_cost, expected
):
    product = ProductFactory(cost_price=Decimal(held_cost))
    if held:
        services.record_opening_stock([StockLine(product, held)], by=manager)
    services.receive_stock(
        [StockLine(product, received, unit_cost)], by=manager, supplier=product.supplier
    )
    product.refresh_from_db()
    assert product.cost_price == expected
    assert product.on_hand == held + received


def test_a_goods_receipt_records_supplier_cost_and_moves(stocked, manager):
    supplier = SupplierFactory(name="Parts Co")
    receipt = services.receive_stock(
        [StockLine(stocked, 5, "9.50")],
        by=manager,
        supplier=supplier,
        supplier_reference="INV-77",
    )
    [move] = StockMove.objects.for_document(receipt)
    assert (receipt.supplier, receipt.supplier_reference) == (supplier, "INV-77")
    assert (move.quantity, move.unit_cost, move.balance_after) == (
        5,
        Decimal("9.50"),
        15,
    )


@pytest.mark.parametrize("cost", ["9.555", "-1", "abc", None])
def test_receiving_refuses_a_bad_unit_cost_and_writes_nothing(stocked, manager, cost):
    with pytest.raises(ValidationError):
        services.receive_stock(
            [StockLine(stocked, 5, cost)], by=manager, supplier=stocked.supplier
        )
    assert on_hand(stocked) == 10
    assert not StockMove.objects.filter(reason=StockReason.RECEIVE).exists()


def test_receiving_refuses_services_and_empty_deliveries(manager):
    labour = ServiceFactory()
    with pytest.raises(ValidationError):
        services.receive_stock(
            [StockLine(labour, 1, "1.00")], by=manager, supplier=labour.supplier
        )
    with pytest.raises(ValidationError):
        services.receive_stock([], by=manager, supplier=labour.supplier)


# Adjusting and counting.


def test_an_adjustment_needs_a_reason_and_keeps_it(stocked, manager):
    with pytest.raises(ValidationError):
        services.adjust_stock(stocked, by=manager, quantity=-1, note="  ")
    move = services.adjust_stock(stocked, by=manager, quantity=-1, note="Dropped")
    assert (move.reason, move.note, move.balance_after) == ("adjustment", "Dropped", 9)


@pytest.mark.parametrize("quantity", [0, -11, 2.5])
def test_an_adjustment_cannot_be_zero_fractional_or_go_below_zero(
    stocked, manager, quantity
):
    with pytest.raises(ValidationError):
        services.adjust_stock(stocked, by=manager, quantity=quantity, note="x")
    assert on_hand(stocked) == 10


def test_a_count_books_only_the_differences(stocked, manager):
    same = ProductFactory()
    services.record_opening_stock([StockLine(same, 4)], by=manager)
    count = services.count_stock({stocked: 7, same: 4}, by=manager, note="Monthly")
    [move] = StockMove.objects.for_document(count)
    assert (move.product, move.quantity, move.balance_after) == (stocked, -3, 7)
    assert count.products_counted == 2
    assert on_hand(stocked) == 7
    assert on_hand(same) == 4


def test_a_count_clears_the_needs_count_flag(stocked, cashier, manager):
    shop = ShopSettings.load()
    shop.allow_negative_stock = True
    shop.save()
    services.take_stock([StockLine(stocked, 11)], by=cashier)
    services.count_stock({stocked.pk: 0}, by=manager)
    stocked.refresh_from_db()
    assert (stocked.on_hand, stocked.needs_count) == (0, False)


@pytest.mark.parametrize("counted", [None, -1, 1.5])
def test_a_count_needs_whole_quantities_of_zero_or_more(stocked, manager, counted):
    counts = {} if counted is None else {stocked: counted}
    with pytest.raises(ValidationError):
        services.count_stock(counts, by=manager)
    assert on_hand(stocked) == 10


def test_opening_stock_is_only_for_products_without_history(stocked, manager):
    with pytest.raises(ValidationError):
        services.record_opening_stock([StockLine(stocked, 5)], by=manager)
    assert on_hand(stocked) == 10


# Products.


def test_creating_a_product_with_opening_stock_books_an_opening_move(manager):
    product = services.create_product(
        by=manager,
        opening_stock=6,
        name="USB-C cable",
        sku="CAB-1",
        sale_price=Decimal("9.99"),
        cost_price=Decimal("2.00"),
        tax_rate=TaxRateFactory(),
    )
    assert product.on_hand == 6
    assert product.moves.get().reason == StockReason.OPENING
    assert product.history.get().history_user == manager


def test_product_rules_are_checked_on_create(manager, stocked):
    with pytest.raises(ValidationError):
        services.create_product(
            by=manager,
            name="Copy",
            sku=stocked.sku,
            sale_price=Decimal("1.00"),
            tax_rate=stocked.tax_rate,
        )
    with pytest.raises(ValidationError):
        services.create_product(
            by=manager,
            name="x",
            sku="X-1",
            sale_price=Decimal("-1"),
            tax_rate=stocked.tax_rate,
        )


def test_a_product_with_stock_cannot_stop_tracking_it(stocked, manager):
    with pytest.raises(ValidationError):
        services.update_product(stocked, by=manager, tracks_stock=False)
    assert Product.objects.get(pk=stocked.pk).tracks_stock is True


def test_a_price_change_keeps_the_old_price_in_the_history(stocked, manager):
    services.update_product(stocked, by=manager, sale_price=Decimal("24.99"))
    newest, previous = stocked.history.order_by("-history_id")[:2]
    assert (newest.sale_price, previous.sale_price) == (
        Decimal("24.99"),
        Decimal("19.99"),
    )
    assert newest.history_user == manager


def test_a_product_with_history_is_never_deleted(stocked, manager):
    with pytest.raises(ValidationError):
        services.delete_product(stocked, by=manager)
    assert Product.objects.filter(pk=stocked.pk).exists()
    fresh = ProductFactory()
    services.delete_product(fresh, by=manager)
    assert not Product.objects.filter(pk=fresh.pk).exists()


# The ledger proves itself.


def test_check_stock_passes_when_the_books_add_up(stocked, cashier):
    services.take_stock([StockLine(stocked, 3)], by=cashier)
    out = StringIO()
    call_command("check_stock", stdout=out)
    assert "Stock adds up" in out.getvalue()


def test_check_stock_fails_when_on_hand_was_changed_behind_the_ledger(stocked):
    Product.objects.filter(pk=stocked.pk).update(on_hand=99)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("check_stock", stderr=err)
    assert "on hand 99, its moves add up to 10" in err.getvalue()


@pytest.mark.parametrize("quantity", [1_000_001, 2**31, 2**63])
def test_stock_services_refuse_a_quantity_beyond_the_limit(manager, quantity):
    from inventory.tests.factories import ProductFactory

    product = ProductFactory()
    with pytest.raises(ValidationError, match="at most 1,000,000"):
        services.record_opening_stock(
            [services.StockLine(product, quantity)], by=manager
        )
    with pytest.raises(ValidationError, match="at most 1,000,000"):
        services.adjust_stock(product, by=manager, quantity=quantity, note="Found")
    with pytest.raises(ValidationError, match="at most 1,000,000"):
        services.adjust_stock(product, by=manager, quantity=-quantity, note="Lost")
    assert not StockMove.objects.filter(product=product).exists()
