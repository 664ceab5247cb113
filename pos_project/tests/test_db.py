"""pos_project.db.one_transaction: a service's own transaction, or its caller's."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory.models import Category
from pos_project.db import one_transaction


@one_transaction
def name_category(name):
    """Make a category, then refuse the name "refused" after writing it."""
    category = Category.objects.create(name=name)
    if name == "refused":
        raise ValueError("refused")
    return category


@pytest.mark.django_db(transaction=True)
def test_on_its_own_a_service_runs_in_its_own_transaction():
    with pytest.raises(ValueError):
        name_category("refused")
    assert not Category.objects.exists()
    assert name_category("Cables").pk


@pytest.mark.django_db(transaction=True)
def test_joining_needs_the_callers_transaction():
    with pytest.raises(transaction.TransactionManagementError):
        name_category.joining("Cables")
    assert not Category.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_joining_adds_no_savepoint_and_a_refusal_fails_the_whole_action():
    with transaction.atomic():
        Category.objects.create(name="Phones")
        with CaptureQueriesContext(connection) as joined:
            name_category.joining("Cables")
        with CaptureQueriesContext(connection) as nested:
            name_category("Cases")
    assert not [q for q in joined if "SAVEPOINT" in q["sql"]]
    assert [q for q in nested if "SAVEPOINT" in q["sql"]]
    assert Category.objects.count() == 3

    with pytest.raises(ValueError), transaction.atomic():
        Category.objects.create(name="Tablets")
        name_category.joining("refused")
    assert not Category.objects.filter(name__in=["Tablets", "refused"]).exists()
