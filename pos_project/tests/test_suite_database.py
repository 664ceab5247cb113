"""The test database: every test starts with what the migrations put in it."""

import pytest

from accounts.models import TaxRate
from repairs.models import MessageTemplate


def rows_from_data_migrations():
    return (
        TaxRate.objects.filter(is_default=True).count(),
        MessageTemplate.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", [1, 2])
def test_a_transactional_test_starts_with_the_data_migrations_rows(run):
    assert rows_from_data_migrations() == (1, 4)
    TaxRate.objects.all().delete()  # and ends by emptying every table


def test_a_test_after_a_transactional_one_has_them_too(db):
    assert rows_from_data_migrations() == (1, 4)
