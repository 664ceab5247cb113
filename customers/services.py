"""Customers: the only code that creates and changes them."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User

from .models import Customer, phone_digits

CUSTOMER_FIELDS = {
    "name",
    "phone",
    "email",
    "address",
    "tax_id",
    "notes",
    "marketing_consent",
    "credit_limit",
}


def _apply(customer, fields):
    unknown = set(fields) - CUSTOMER_FIELDS
    if unknown:
        raise ValidationError(f"Unknown customer fields: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(customer, name, value.strip() if isinstance(value, str) else value)
    customer.phone_digits = phone_digits(customer.phone)
    customer.full_clean()


@transaction.atomic
def create_customer(*, by: User, **fields) -> Customer:
    """A new customer. Possible duplicates are for the form to warn about."""
    customer = Customer()
    _apply(customer, fields)
    customer._history_user = by
    customer.save()
    return customer


@transaction.atomic
def update_customer(customer: Customer, *, by: User, **fields) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _apply(customer, fields)
    customer._history_user = by
    customer.save()
    return customer


@transaction.atomic
def set_customer_active(customer: Customer, *, by: User, active: bool) -> Customer:
    """Deactivate (or reactivate) a customer; customers are never deleted.

    A deactivated customer keeps all their history but is no longer offered at
    the till or on new invoices.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.active != active:
        customer.active = active
        customer._history_user = by
        customer.save(update_fields=["active", "updated_at"])
    return customer
