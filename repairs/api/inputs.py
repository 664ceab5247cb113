"""What a ticket takes: the bodies of the repairs endpoints' writes.

Each refuses a field it does not take, and checks a value by the service's own
rule where there is one, so a refusal names the field.
"""

from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import PaymentMethod
from customers.models import Customer
from inventory.models import Product
from invoices.api import ReferenceField
from invoices.services import check_reference
from pos_project.api import IDEMPOTENCY_HEADER
from pos_project.money import CENT, MONEY, ZERO
from pos_project.validators import refuse_card_number

from .. import services
from ..forms import technicians
from ..models import ApprovalMethod, DeviceType, LineKind, Priority, Status


class KnownFieldsMixin:
    """Refuses a field the request does not take, rather than ignoring it."""

    hints: dict = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.hints.get(name, "Not a field this request takes.")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class TicketNewCustomerSerializer(KnownFieldsMixin, serializers.Serializer):
    name = serializers.CharField(validators=[refuse_card_number], max_length=200)
    phone = serializers.CharField(
        validators=[refuse_card_number], max_length=40, required=False, allow_blank=True
    )
    email = serializers.EmailField(required=False, allow_blank=True)

    def validate(self, data):
        if not (data.get("phone", "").strip() or data.get("email", "").strip()):
            raise serializers.ValidationError(
                {"phone": ["Give a phone number or an email, so we can reach them."]}
            )
        return data


class RepairDepositSerializer(KnownFieldsMixin, serializers.Serializer):
    amount = serializers.DecimalField(**MONEY, min_value=CENT)
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices,
        help_text="One of the methods the shop takes (shop settings).",
    )
    reference = ReferenceField()

    def validate_reference(self, value):
        return check_service(check_reference, value)


def check_service(check, value):
    """A service's check of one value, its refusal shown on the field."""
    try:
        return check(value)
    except ValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc


class DeviceFieldsMixin:
    """IMEI and serial checked by the service's own rules, shown on the field."""

    def validate_imei(self, value):
        return check_service(services.clean_imei, value)

    def validate_serial(self, value):
        return check_service(services.clean_serial, value)


def technician_field():
    return serializers.PrimaryKeyRelatedField(
        queryset=technicians(),
        required=False,
        allow_null=True,
        help_text="A member of staff's id; null: not assigned.",
        error_messages={
            "does_not_exist": "No active member of staff has id {pk_value}."
        },
    )


def passcode_field():
    return serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=True,
        help_text="Write-only: stored encrypted, never returned, erased when "
        "the ticket closes. Empty: no passcode.",
    )


class TicketCreateSerializer(
    KnownFieldsMixin, DeviceFieldsMixin, serializers.Serializer
):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(),
        required=False,
        allow_null=True,
        help_text="An existing customer's id; or give `new_customer` instead.",
        error_messages={"does_not_exist": "No customer has id {pk_value}."},
    )
    new_customer = TicketNewCustomerSerializer(
        required=False,
        allow_null=True,
        help_text="A customer added now, as on the intake form.",
    )
    device_type = serializers.ChoiceField(choices=DeviceType.choices)
    brand = serializers.CharField(validators=[refuse_card_number], max_length=60)
    model = serializers.CharField(validators=[refuse_card_number], max_length=100)
    imei = serializers.CharField(
        max_length=24, required=False, allow_blank=True, default=""
    )
    serial = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    problem = serializers.CharField(validators=[refuse_card_number], max_length=4000)
    accessories = serializers.CharField(
        validators=[refuse_card_number],
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
    )
    condition_notes = serializers.CharField(
        validators=[refuse_card_number],
        max_length=4000,
        required=False,
        allow_blank=True,
        default="",
    )
    passcode = passcode_field()
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, default=Priority.NORMAL
    )
    promised_date = serializers.DateField(required=False, allow_null=True)
    technician = technician_field()
    warranty_days = serializers.IntegerField(
        min_value=0,
        max_value=3650,
        required=False,
        allow_null=True,
        help_text="Empty: the shop's default warranty.",
    )
    deposit = RepairDepositSerializer(
        required=False,
        allow_null=True,
        help_text=f"Money taken now; needs an {IDEMPOTENCY_HEADER} header.",
    )

    def validate_promised_date(self, value):
        if value and value < timezone.localdate():
            raise serializers.ValidationError("The promised date is in the past.")
        return value

    def validate(self, data):
        if data.get("customer") and data.get("new_customer"):
            raise serializers.ValidationError(
                "Give the customer's id or a new customer, not both."
            )
        if not data.get("customer") and not data.get("new_customer"):
            raise serializers.ValidationError(
                "Find the customer, or enter a new customer's name."
            )
        if (
            data["device_type"] == DeviceType.PHONE
            and not data.get("imei")
            and not data.get("serial")
        ):
            raise serializers.ValidationError(
                {"imei": ["Enter the phone's IMEI or serial number."]}
            )
        return data


class TicketUpdateSerializer(
    KnownFieldsMixin, DeviceFieldsMixin, serializers.Serializer
):
    """The intake details, corrected later (not the customer, status or bill)."""

    hints = {
        "status": "The status changes through POST /api/v1/repairs/{id}/status/.",
        "customer": "A ticket's customer does not change; book a new ticket.",
    }

    brand = serializers.CharField(
        validators=[refuse_card_number], max_length=60, required=False
    )
    model = serializers.CharField(
        validators=[refuse_card_number], max_length=100, required=False
    )
    imei = serializers.CharField(max_length=24, required=False, allow_blank=True)
    serial = serializers.CharField(max_length=60, required=False, allow_blank=True)
    problem = serializers.CharField(
        validators=[refuse_card_number], max_length=4000, required=False
    )
    accessories = serializers.CharField(
        validators=[refuse_card_number],
        max_length=255,
        required=False,
        allow_blank=True,
    )
    condition_notes = serializers.CharField(
        validators=[refuse_card_number],
        max_length=4000,
        required=False,
        allow_blank=True,
    )
    passcode = passcode_field()
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    promised_date = serializers.DateField(required=False, allow_null=True)
    technician = technician_field()
    warranty_days = serializers.IntegerField(
        min_value=0, max_value=3650, required=False
    )


class TicketStatusChangeSerializer(KnownFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Status.choices,
        error_messages={"invalid_choice": "{input} is not a repair status."},
    )
    note = serializers.CharField(
        validators=[refuse_card_number],
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
    )
    minutes_spent = serializers.IntegerField(
        min_value=1,
        max_value=43200,
        required=False,
        allow_null=True,
        help_text="Bench time, recorded with the change (usually when ready).",
    )
    on_account = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Collected or returned with a balance left on the customer's "
        "account: Admins only.",
    )


class RepairLineCreateSerializer(KnownFieldsMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=LineKind.choices)
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.select_related("tax_rate"),
        required=False,
        allow_null=True,
        help_text="A part: the stocked product (required). Labour: a service "
        "product, or null for other labour with a description.",
        error_messages={"does_not_exist": "No product has id {pk_value}."},
    )
    description = serializers.CharField(
        validators=[refuse_card_number],
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Labour only: what was done (a service product's name by default).",
    )
    quantity = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        default=Decimal("1"),
        help_text="Hours or 1 for labour; a whole number of parts.",
    )
    unit_price = serializers.DecimalField(
        **MONEY,
        min_value=ZERO,
        required=False,
        allow_null=True,
        help_text="Required for labour; a part's own price when left out.",
    )
    fit = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Parts only: fitted now (taken from stock at once).",
    )

    def validate(self, data):
        product = data.get("product")
        if data["kind"] == LineKind.PART:
            if product is None:
                raise serializers.ValidationError({"product": ["Find the part first."]})
            if not product.tracks_stock:
                raise serializers.ValidationError(
                    {"product": [f"{product.name} holds no stock; add it as labour."]}
                )
        else:
            if data.get("unit_price") is None:
                raise serializers.ValidationError(
                    {"unit_price": ["Give the price of the labour."]}
                )
            if not product and not data.get("description", "").strip():
                raise serializers.ValidationError(
                    {"description": ["Describe the labour, or pick a service."]}
                )
            if data.get("fit"):
                raise serializers.ValidationError({"fit": ["Only parts are fitted."]})
        return data


@extend_schema_field(OpenApiTypes.STR)
class ApprovalMethodField(serializers.ChoiceField):
    """Its values are in its description: in the schema, a field named "method"
    is one of the payment methods."""


class RepairApproveSerializer(KnownFieldsMixin, serializers.Serializer):
    method = ApprovalMethodField(
        choices=[
            (ApprovalMethod.IN_PERSON, ApprovalMethod.IN_PERSON.label),
            (ApprovalMethod.PHONE, ApprovalMethod.PHONE.label),
        ],
        help_text="How the customer said yes: in_person or phone (the status "
        "page records its own).",
    )
    note = serializers.CharField(
        validators=[refuse_card_number],
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
    )


class RepairLineUpdateSerializer(KnownFieldsMixin, serializers.Serializer):
    quantity = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )
    unit_price = serializers.DecimalField(**MONEY, min_value=ZERO, required=False)
    description = serializers.CharField(
        validators=[refuse_card_number],
        max_length=255,
        required=False,
        help_text="Labour only.",
    )
    fitted = serializers.BooleanField(
        required=False,
        help_text="Parts only: true fits the part (it leaves stock), false takes "
        "it out again (back to stock). Sent on its own.",
    )

    def validate(self, data):
        if "fitted" in data and len(data) > 1:
            raise serializers.ValidationError(
                "Change whether a part is fitted on its own, then its other details."
            )
        return data
