"""What a ticket shows: the answers of the repairs endpoints.

The estimate, the approval and the bill are priced and worded as on the
ticket page; the passcode is never among them.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Customer
from invoices.models import Payment

from .. import services
from ..models import Status, StatusChange, Ticket, TicketLine


class TicketStaffSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)


class TicketCustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "phone", "email"]
        read_only_fields = fields


class RepairLineSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    product_sku = serializers.CharField(
        source="product.sku", read_only=True, allow_null=True, default=None
    )
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="Quantity × unit price, tax included: what the customer pays.",
    )
    fitted = serializers.BooleanField(source="is_fitted", read_only=True)
    fitted_by = TicketStaffSerializer(read_only=True, allow_null=True)
    added_by = TicketStaffSerializer(read_only=True)

    class Meta:
        model = TicketLine
        fields = [
            "id",
            "ticket",
            "kind",
            "kind_label",
            "product",
            "product_sku",
            "description",
            "quantity",
            "unit_price",
            "tax_rate",
            "amount",
            "fitted",
            "fitted_at",
            "fitted_by",
            "added_by",
            "added_at",
        ]
        read_only_fields = fields


class RepairEstimateSerializer(serializers.Serializer):
    lines = RepairLineSerializer(many=True, read_only=True)
    subtotal = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="Before tax."
    )
    tax = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    total = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="Tax included."
    )


def estimate_of(ticket, lines=None):
    """The estimate as the ticket page shows it: its lines, each priced, and totals."""
    if lines is None:
        lines = list(
            ticket.lines.select_related("product", "fitted_by", "added_by").order_by(
                "added_at", "pk"
            )
        )
    totals = services.estimate_lines_totals(
        lines, prices_include_tax=ticket.invoice.prices_include_tax
    )
    return {
        "lines": lines,
        "subtotal": totals.subtotal,
        "tax": totals.tax,
        "total": totals.total,
    }


class RepairApprovalSerializer(serializers.Serializer):
    approved = serializers.BooleanField(
        read_only=True, help_text="The customer approved the estimate as it stands."
    )
    needs_approval_again = serializers.BooleanField(
        read_only=True,
        help_text="The estimate changed after an approval; ask the customer again.",
    )
    total = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, allow_null=True
    )
    method = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="in_person, phone or status_page (the customer on the status page).",
    )
    recorded_by = TicketStaffSerializer(read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True, allow_null=True)
    at = serializers.DateTimeField(read_only=True, allow_null=True)


def approval_of(ticket):
    approval = ticket.approval
    return {
        "approved": approval is not None,
        "needs_approval_again": approval is None and ticket.approvals.exists(),
        "total": approval.total if approval else None,
        "method": approval.method if approval else None,
        "recorded_by": approval.recorded_by if approval else None,
        "note": approval.note if approval else None,
        "at": approval.at if approval else None,
    }


class RepairPaymentSerializer(serializers.ModelSerializer):
    received_by = TicketStaffSerializer(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "amount",
            "method",
            "reference",
            "note",
            "received_by",
            "received_at",
        ]
        read_only_fields = fields


class RepairBillSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice.pk", read_only=True)
    number = serializers.CharField(
        source="invoice.number",
        read_only=True,
        allow_null=True,
        help_text="Null while the bill is a draft (until the repair is ready).",
    )
    status = serializers.CharField(source="invoice.status", read_only=True)
    total = serializers.DecimalField(
        source="invoice.total", max_digits=12, decimal_places=2, read_only=True
    )
    amount_paid = serializers.DecimalField(
        source="invoice.amount_paid", max_digits=12, decimal_places=2, read_only=True
    )
    balance = serializers.DecimalField(
        source="invoice.balance",
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="Still to pay; negative while deposits exceed the bill.",
    )
    payments = RepairPaymentSerializer(
        many=True,
        read_only=True,
        help_text="Deposits and payments, oldest first; refunds are negative.",
    )


def bill_of(ticket):
    payments = ticket.invoice.payments.select_related("received_by").order_by(
        "received_at", "pk"
    )
    return RepairBillSerializer({"invoice": ticket.invoice, "payments": payments}).data


class TicketHistorySerializer(serializers.ModelSerializer):
    by = TicketStaffSerializer(
        read_only=True,
        allow_null=True,
        help_text="Null when the customer did it on the status page.",
    )

    from_status = serializers.CharField(
        read_only=True, help_text="Empty on the first entry (booked in)."
    )
    to_status = serializers.CharField(
        read_only=True, help_text="The same as from_status for a note."
    )

    class Meta:
        model = StatusChange
        fields = ["from_status", "to_status", "note", "by", "at"]
        read_only_fields = fields


class TicketStatusChoiceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    label = serializers.CharField(read_only=True)


def status_choices(ticket):
    return [{"status": s.value, "label": s.label} for s in ticket.allowed_statuses()]


class TicketWorkflowSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    status_label = serializers.CharField(read_only=True)
    allowed_statuses = TicketStatusChoiceSerializer(many=True, read_only=True)
    history = TicketHistorySerializer(many=True, read_only=True)


class TicketListSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    priority_label = serializers.CharField(
        source="get_priority_display", read_only=True
    )
    customer = TicketCustomerSerializer(read_only=True)
    technician = TicketStaffSerializer(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "status",
            "status_label",
            "customer",
            "device_type",
            "brand",
            "model",
            "imei",
            "serial",
            "problem",
            "priority",
            "priority_label",
            "promised_date",
            "overdue",
            "technician",
            "created_at",
            "status_changed_at",
        ]
        read_only_fields = fields


class TicketWarrantyOfSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)


class TicketSerializer(TicketListSerializer):
    """A ticket as its page shows it, without the passcode."""

    has_passcode = serializers.BooleanField(read_only=True)
    warranty_of = TicketWarrantyOfSerializer(
        read_only=True,
        allow_null=True,
        help_text="An earlier repair of this device still under warranty at intake.",
    )
    warranty_until = serializers.DateField(read_only=True, allow_null=True)
    created_by = TicketStaffSerializer(read_only=True)
    allowed_statuses = serializers.SerializerMethodField()
    estimate = serializers.SerializerMethodField()
    approval = serializers.SerializerMethodField()
    bill = serializers.SerializerMethodField()
    history = TicketHistorySerializer(many=True, read_only=True)
    public_url = serializers.SerializerMethodField(
        help_text="The customer's status page (an unguessable link)."
    )

    class Meta(TicketListSerializer.Meta):
        fields = [
            *TicketListSerializer.Meta.fields,
            "accessories",
            "condition_notes",
            "has_passcode",
            "warranty_days",
            "warranty_of",
            "warranty_until",
            "minutes_spent",
            "ready_at",
            "closed_at",
            "created_by",
            "allowed_statuses",
            "estimate",
            "approval",
            "bill",
            "history",
            "public_url",
        ]
        read_only_fields = fields

    @extend_schema_field(TicketStatusChoiceSerializer(many=True))
    def get_allowed_statuses(self, ticket):
        return TicketStatusChoiceSerializer(status_choices(ticket), many=True).data

    @extend_schema_field(RepairEstimateSerializer)
    def get_estimate(self, ticket):
        return RepairEstimateSerializer(estimate_of(ticket)).data

    @extend_schema_field(RepairApprovalSerializer)
    def get_approval(self, ticket):
        return RepairApprovalSerializer(approval_of(ticket)).data

    @extend_schema_field(RepairBillSerializer)
    def get_bill(self, ticket):
        return bill_of(ticket)

    @extend_schema_field(OpenApiTypes.URI)
    def get_public_url(self, ticket):
        request = self.context.get("request")
        url = ticket.get_public_url()
        return request.build_absolute_uri(url) if request else url


def approval_of_data(ticket):
    return RepairApprovalSerializer(approval_of(ticket)).data


def line_data(line):
    """A line with its amount, priced as on the estimate."""
    line = TicketLine.objects.select_related(
        "ticket__invoice", "product", "fitted_by", "added_by"
    ).get(pk=line.pk)
    estimate_of(line.ticket, [line])
    return RepairLineSerializer(line).data
