import pytest
from django.db import DataError, connection, transaction

from customers.models import Customer
from pos_project.postgresql.base import MAX_QUERY_PARAMS
from pos_project.tests.test_settings import manage

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/pos"
SHOW_OPTIONS = (
    "from django.conf import settings; d = settings.DATABASES['default']; "
    "print(d['ENGINE'], d['OPTIONS'].get('server_side_binding'), "
    "d['OPTIONS'].get('prepare_threshold'))"
)


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")


def postgres_options(**env):
    """The PostgreSQL engine and options the settings make of `env` (no connection)."""
    result = manage(
        "shell",
        "-c",
        SHOW_OPTIONS,
        env={"DEBUG": "true", "DATABASE_URL": POSTGRES_URL, **env},
    )
    assert result.returncode == 0, result.stderr
    # The last line: Django's shell may first say what it imported.
    return result.stdout.strip().splitlines()[-1].split()


def test_postgresql_binds_on_the_server_and_prepares_unless_told_not_to():
    assert postgres_options() == ["pos_project.postgresql", "True", "5"]
    assert postgres_options(POSTGRES_PREPARED_STATEMENTS="false") == [
        "pos_project.postgresql",
        "True",
        "None",
    ]
    assert postgres_options(
        POSTGRES_SERVER_SIDE_BINDING="false", POSTGRES_PREPARED_STATEMENTS="false"
    ) == ["pos_project.postgresql", "False", "None"]


def prepared(fragment):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchone()[0]


def test_a_statement_run_often_is_prepared_once(postgres, db):
    assert connection.features.uses_server_side_binding
    assert connection.features.max_query_params == MAX_QUERY_PARAMS
    Customer.objects.create(name="Ada", phone="+1 555 0000001", tax_id="GB1")
    query = Customer.objects.filter(tax_id="GB1", marketing_consent=False)
    # The value travels apart from the SQL, as $1.
    fragment = '"marketing_consent" AND "customers_customer"."tax_id" = $1)'
    assert prepared(fragment) == 0
    for _ in range(6):
        assert query.count() == 1
    assert prepared(fragment) == 1


def test_bulk_update_beyond_the_parameter_limit_is_batched(postgres, db):
    # Five fields bind 11 values per row: 6,000 rows would be 66,000 values in
    # one statement, over PostgreSQL's 65,535.
    Customer.objects.bulk_create(
        Customer(name=f"Customer {n}", phone=f"+1 555 {n:07d}") for n in range(6000)
    )
    customers = list(Customer.objects.order_by("pk"))
    fields = ["name", "address", "tax_id", "notes", "email"]
    for n, customer in enumerate(customers):
        customer.name = f"Renamed {n}"
        customer.address = f"{n} High Street"
        customer.tax_id = f"T{n}"
        customer.notes = "moved"
        customer.email = f"c{n}@mail.example"

    assert Customer.objects.bulk_update(customers, fields) == 6000

    last = Customer.objects.get(pk=customers[-1].pk)
    assert (last.name, last.address, last.tax_id, last.email) == (
        "Renamed 5999",
        "5999 High Street",
        "T5999",
        "c5999@mail.example",
    )
    assert Customer.objects.filter(notes="moved").count() == 6000


# Integers out of a column's range: psycopg's binary dumpers for the types
# Django wraps integers in (Int2, Int4, Int8) keep the low bits of a value too
# large for them, so a value bound on the server was stored wrapped (2**31 as
# -2**31, 2**32 + 7 as 7). PostgreSQL refuses them when it reads the value
# itself (client-side binding): so must the app.

INT4_TOO_LARGE = [2**31, 2**32 + 7, 2**63 - 1, 2**63, -(2**31) - 1, -(2**63) - 1]


def product_with_stock():
    from inventory.tests.factories import ProductFactory

    return ProductFactory(reorder_level=2)


@pytest.mark.parametrize("value", INT4_TOO_LARGE)
def test_an_integer_too_large_for_its_column_is_refused_not_wrapped(
    postgres, db, value
):
    from inventory.models import Product

    product = product_with_stock()
    products = Product.objects.filter(pk=product.pk)
    # Prepared by now (psycopg prepares a statement on its fifth run).
    for level in range(6):
        products.update(reorder_level=level)
    with pytest.raises(DataError, match="out of range"), transaction.atomic():
        products.update(reorder_level=value)
    with pytest.raises(DataError, match="out of range"), transaction.atomic():
        Product.objects.create(
            name="Big", sku=f"BIG-{value}", tax_rate=product.tax_rate, on_hand=value
        )
    product.refresh_from_db()
    assert product.reorder_level == 5


def test_the_ends_of_an_integer_columns_range_are_stored_as_they_are(postgres, db):
    from inventory.models import Product

    product = product_with_stock()
    for value in (2**31 - 1, 0):
        Product.objects.filter(pk=product.pk).update(reorder_level=value)
        product.refresh_from_db()
        assert product.reorder_level == value
    Product.objects.filter(pk=product.pk).update(on_hand=-(2**31))
    product.refresh_from_db()
    assert product.on_hand == -(2**31)


@pytest.mark.parametrize("value", [2**15, 2**16 + 7, -(2**15) - 1])
def test_a_small_integer_too_large_for_its_column_is_refused(postgres, db, value):
    from accounts.models import ShopSettings

    shop = ShopSettings.load()
    with pytest.raises(DataError, match="out of range"), transaction.atomic():
        ShopSettings.objects.filter(pk=shop.pk).update(payment_terms_days=value)
    assert ShopSettings.objects.get(pk=shop.pk).payment_terms_days == (
        shop.payment_terms_days
    )


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1])
def test_a_big_integer_too_large_is_refused_as_postgresql_would(postgres, db, value):
    from accounts.models import Sequence

    with pytest.raises(DataError, match="out of range"), transaction.atomic():
        Sequence.objects.create(name="too-big", last_value=value)
