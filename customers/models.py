import re
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from pos_project.validators import refuse_card_number


def phone_digits(phone: str) -> str:
    """The digits of a phone number, so "+1 (555) 013-4" finds "15550134"."""
    return re.sub(r"\D", "", phone or "")


class CustomerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def search(self, text):
        """By name, email, or phone however it is typed."""
        text = text.strip()
        if not text:
            return self.none()
        query = Q(name__icontains=text) | Q(email__icontains=text)
        digits = phone_digits(text)
        if len(digits) >= 3:
            query |= Q(phone_digits__contains=digits)
        return self.filter(query)

    def duplicates_of(self, *, phone="", email="", exclude_pk=None):
        """Customers with the same phone number or email address."""
        query = Q()
        if phone_digits(phone):
            query |= Q(phone_digits=phone_digits(phone))
        if email.strip():
            query |= Q(email__iexact=email.strip())
        if not query:
            return self.none()
        return self.filter(query).exclude(pk=exclude_pk)


class Customer(models.Model):
    name = models.CharField(validators=[refuse_card_number], max_length=200)
    phone = models.CharField(validators=[refuse_card_number], max_length=40, blank=True)
    # The phone number's digits, kept with it for searching and duplicate checks.
    phone_digits = models.CharField(
        max_length=40, blank=True, editable=False, db_index=True
    )
    email = models.EmailField(validators=[refuse_card_number], blank=True)
    address = models.TextField(validators=[refuse_card_number], blank=True)
    tax_id = models.CharField(
        "tax ID", validators=[refuse_card_number], max_length=40, blank=True
    )
    notes = models.TextField(validators=[refuse_card_number], blank=True)
    marketing_consent = models.BooleanField(
        "agrees to marketing",
        default=False,
        help_text="The customer agreed to receive offers by email or text.",
    )
    credit_limit = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Most they may owe at once when buying on account. Empty: no limit.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["phone_digits", "updated_at"])

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="customer_credit_limit_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["email"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:customer_detail", args=[self.pk])
