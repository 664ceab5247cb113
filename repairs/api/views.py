"""The repairs endpoints: tickets, and the lines of their estimates."""

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.access import ADD_REPAIRS, CHANGE_REPAIRS, RECORD_PAYMENTS, VIEW_REPAIRS
from accounts.api_access import ApiAccessMixin
from invoices import services as billing
from invoices.api import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY,
    KEY_REUSED,
    REPLAYED,
    KeyReused,
    idempotency_key,
    payment_of_key,
    payment_token,
    replayed,
)
from invoices.models import Payment

from .. import services
from ..models import LineKind, StatusChange, Ticket, TicketLine
from .filters import TicketApiFilter
from .inputs import (
    RepairApproveSerializer,
    RepairDepositSerializer,
    RepairLineCreateSerializer,
    RepairLineUpdateSerializer,
    TicketCreateSerializer,
    TicketStatusChangeSerializer,
    TicketUpdateSerializer,
)
from .serializers import (
    RepairApprovalSerializer,
    RepairBillSerializer,
    RepairEstimateSerializer,
    RepairLineSerializer,
    RepairPaymentSerializer,
    TicketListSerializer,
    TicketSerializer,
    TicketWorkflowSerializer,
    approval_of,
    approval_of_data,
    bill_of,
    estimate_of,
    line_data,
    status_choices,
)

OPTIONAL_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Required with a deposit, welcome without: a key of your own, new for "
        "each intake, the same when you retry it. A retry returns the ticket "
        "the first request booked in (200); the key with another device or "
        "customer is refused (409)."
    ),
)


def intake_token(user, key):
    """The intake key stored on a ticket booked in through the API."""
    return billing.scoped_key("intake", user, key)


class TicketViewSet(
    ApiAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Repair tickets: every member of staff books devices in and works them."""

    required_perms = {
        "read": [VIEW_REPAIRS],
        "create": [ADD_REPAIRS],
        "partial_update": [CHANGE_REPAIRS],
        "change_status": [CHANGE_REPAIRS],
        "add_line": [CHANGE_REPAIRS],
        "approve": [CHANGE_REPAIRS],
        "record_deposit": [RECORD_PAYMENTS],
    }
    filterset_class = TicketApiFilter
    ordering_fields = [
        "created_at",
        "promised_date",
        "priority",
        "status_changed_at",
        "number",
    ]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self):
        if self.action == "list":
            return Ticket.objects.for_lists()
        return Ticket.objects.select_related(
            "customer",
            "technician",
            "invoice",
            "created_by",
            "warranty_of",
            "approval__recorded_by",
        ).prefetch_related(
            Prefetch("history", queryset=StatusChange.objects.select_related("by"))
        )

    def get_serializer_class(self):
        """What the action reads from the request (its answer, for reads)."""
        return {
            "list": TicketListSerializer,
            "create": TicketCreateSerializer,
            "partial_update": TicketUpdateSerializer,
            "workflow": TicketWorkflowSerializer,
            "change_status": TicketStatusChangeSerializer,
            "lines": RepairEstimateSerializer,
            "add_line": RepairLineCreateSerializer,
            "approval": RepairApprovalSerializer,
            "approve": RepairApproveSerializer,
            "deposits": RepairBillSerializer,
            "record_deposit": RepairDepositSerializer,
        }.get(self.action, TicketSerializer)

    def ticket_response(self, ticket, code=status.HTTP_200_OK, headers=None):
        ticket = self.get_queryset().get(pk=ticket.pk)
        data = TicketSerializer(ticket, context=self.get_serializer_context()).data
        return Response(data, status=code, headers=headers)

    @extend_schema(
        request=TicketCreateSerializer,
        parameters=[OPTIONAL_KEY, REPLAYED],
        responses={
            201: TicketSerializer,
            200: OpenApiResponse(
                TicketSerializer,
                description="A retry: the ticket this Idempotency-Key booked in.",
            ),
            409: KEY_REUSED,
        },
        description="Book a device in, as the intake form does. A deposit needs "
        f"an {IDEMPOTENCY_HEADER} header; without one the header is optional.",
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        asked_deposit = data.pop("deposit", None)
        key = None
        if asked_deposit is not None or IDEMPOTENCY_HEADER in request.headers:
            key = idempotency_key(request)
        token = intake_token(request.user, key) if key else None
        if token:
            earlier = Ticket.objects.filter(intake_key=token).first()
            if earlier is not None:
                return self.replayed(earlier, data, asked_deposit)
        deposit = None
        if asked_deposit is not None:
            deposit = services.Deposit(
                asked_deposit["amount"],
                asked_deposit["method"],
                asked_deposit["reference"],
                idempotency_key=payment_token(request.user, f"intake:{key}"),
            )
        if data.get("warranty_days") is None:
            data.pop("warranty_days", None)  # the shop's default
        try:
            ticket = services.create_ticket(
                by=request.user, deposit=deposit, idempotency_key=token, **data
            )
        except IntegrityError:
            # The same key sent twice at once: the first intake won the unique
            # intake key; this one rolled back and answers with its ticket.
            earlier = Ticket.objects.filter(intake_key=token).first() if token else None
            if earlier is None:
                raise
            return self.replayed(earlier, data, asked_deposit)
        return self.ticket_response(
            ticket,
            status.HTTP_201_CREATED,
            headers={"Location": f"{request.path}{ticket.pk}/", **replayed(True)},
        )

    def replayed(self, ticket, data, deposit):
        """The ticket this key booked in, if the retry asks for the same intake."""
        paid = ticket.invoice.payments.filter(amount__gt=0).order_by("pk").first()
        asked = (
            data["device_type"],
            data.get("imei", ""),
            data.get("serial", ""),
            deposit and (deposit["amount"], deposit["method"]),
        )
        made = (
            ticket.device_type,
            ticket.imei,
            ticket.serial,
            paid and (paid.amount, paid.method),
        )
        customer = data.get("customer")
        if asked != made or (customer is not None and customer != ticket.customer):
            raise KeyReused(
                f"This {IDEMPOTENCY_HEADER} already booked in {ticket.number}, for "
                "a different request. Use a new key for a new ticket."
            )
        return self.ticket_response(ticket, headers=replayed(False))

    @extend_schema(
        request=TicketUpdateSerializer,
        responses=TicketSerializer,
        description="Correct the intake details of an open ticket; a passcode "
        "sent here replaces the stored one (empty removes it).",
    )
    def partial_update(self, request, pk=None):
        ticket = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        passcode = fields.pop("passcode", None)
        # The details and the passcode change together or not at all.
        with transaction.atomic():
            if fields or passcode is None:
                ticket = services.update_ticket(ticket, by=request.user, **fields)
            if passcode is not None:
                ticket = services.set_passcode(
                    ticket, by=request.user, passcode=passcode
                )
        return self.ticket_response(ticket)

    # The workflow.

    @extend_schema(responses=TicketWorkflowSerializer)
    @action(detail=True, methods=["get"], url_path="status", url_name="status")
    def workflow(self, request, pk=None):
        """Where the ticket stands: its status, where it may go next, its history."""
        ticket = self.get_object()
        return Response(
            TicketWorkflowSerializer(
                {
                    "status": ticket.status,
                    "status_label": ticket.get_status_display(),
                    "allowed_statuses": status_choices(ticket),
                    "history": ticket.history.all(),
                }
            ).data
        )

    @extend_schema(
        request=TicketStatusChangeSerializer,
        responses=TicketSerializer,
        description="Move the ticket along its workflow. Ready bills it (its "
        "invoice is issued); collected and returned need the balance paid, or "
        "an Admin's `on_account`.",
    )
    @workflow.mapping.post
    def change_status(self, request, pk=None):
        ticket = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = services.change_status(
            ticket,
            data["status"],
            by=request.user,
            note=data["note"],
            minutes_spent=data.get("minutes_spent"),
            on_account=data["on_account"],
        )
        return self.ticket_response(ticket)

    # The estimate.

    @extend_schema(responses=RepairEstimateSerializer)
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        """The estimate: labour and parts, each priced, and its totals."""
        return Response(RepairEstimateSerializer(estimate_of(self.get_object())).data)

    @extend_schema(
        request=RepairLineCreateSerializer,
        responses={201: RepairLineSerializer},
        description="Add labour (or a service product) or a part from stock to "
        "the estimate; a part with `fit` is fitted at once.",
    )
    @lines.mapping.post
    def add_line(self, request, pk=None):
        ticket = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["kind"] == LineKind.PART:
            line = services.add_part(
                ticket,
                by=request.user,
                product=data["product"],
                quantity=data["quantity"],
                unit_price=data.get("unit_price"),
                fit=data["fit"],
            )
        else:
            line = services.add_labour(
                ticket,
                by=request.user,
                product=data.get("product"),
                description=data["description"],
                quantity=data["quantity"],
                unit_price=data["unit_price"],
            )
        return Response(line_data(line), status=status.HTTP_201_CREATED)

    @extend_schema(responses=RepairApprovalSerializer)
    @action(detail=True, methods=["get"])
    def approval(self, request, pk=None):
        """The customer's approval of the estimate as it stands, if given."""
        return Response(RepairApprovalSerializer(approval_of(self.get_object())).data)

    @extend_schema(
        request=RepairApproveSerializer,
        responses={201: RepairApprovalSerializer},
        description="Record the customer's yes to the estimate as it stands; "
        "a ticket awaiting approval goes on to repair.",
    )
    @approval.mapping.post
    def approve(self, request, pk=None):
        ticket = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.approve_estimate(
            ticket,
            method=serializer.validated_data["method"],
            by=request.user,
            note=serializer.validated_data["note"],
        )
        ticket = self.get_queryset().get(pk=ticket.pk)
        return Response(approval_of_data(ticket), status=status.HTTP_201_CREATED)

    # Money.

    @extend_schema(responses=RepairBillSerializer)
    @action(detail=True, methods=["get"])
    def deposits(self, request, pk=None):
        """The repair's bill: its invoice's balance and the payments on it."""
        return Response(bill_of(self.get_object()))

    @extend_schema(
        request=RepairDepositSerializer,
        parameters=[IDEMPOTENCY_KEY, REPLAYED],
        responses={
            201: RepairPaymentSerializer,
            200: OpenApiResponse(
                RepairPaymentSerializer,
                description="A retry: the deposit this Idempotency-Key took.",
            ),
            409: KEY_REUSED,
        },
        description="Take a deposit before the repair is billed (after that, "
        "pay its invoice).",
    )
    @deposits.mapping.post
    def record_deposit(self, request, pk=None):
        ticket = self.get_object()
        key = idempotency_key(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = payment_token(request.user, key)
        fields = serializer.validated_data
        with transaction.atomic():
            # The ticket's row, which record_deposit locks too: a retry racing
            # the first request with its key waits here, then finds the deposit.
            Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
            payment = deposit_of_key(token, ticket, fields)
            created = payment is None
            if created:
                payment = services.record_deposit(
                    ticket, by=request.user, idempotency_key=token, **fields
                )
        payment = Payment.objects.select_related("received_by").get(pk=payment.pk)
        return Response(
            RepairPaymentSerializer(payment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers=replayed(created),
        )


def deposit_of_key(token, ticket, fields):
    """The deposit an API key took, if any; a 409 if it took it for a
    different request."""
    return payment_of_key(
        token,
        what="deposit",
        invoice_id=ticket.invoice_id,
        amount=fields["amount"],
        method=fields["method"],
        reference=fields["reference"],
    )


class TicketLineViewSet(
    ApiAccessMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """One line of a ticket's estimate: change it, fit or unfit a part, remove it."""

    required_perms = {
        "read": [VIEW_REPAIRS],
        "partial_update": [CHANGE_REPAIRS],
        "destroy": [CHANGE_REPAIRS],
    }
    queryset = TicketLine.objects.select_related(
        "ticket__invoice", "product", "fitted_by", "added_by"
    )
    serializer_class = RepairLineSerializer
    filter_backends = []

    def get_serializer_class(self):
        if self.action == "partial_update":
            return RepairLineUpdateSerializer
        return RepairLineSerializer

    def retrieve(self, request, pk=None):
        return Response(line_data(self.get_object()))

    @extend_schema(
        request=RepairLineUpdateSerializer,
        responses=RepairLineSerializer,
        description="Change a line's quantity, price or (labour) wording; or, "
        "sent on its own, `fitted` fits a part or takes it out again.",
    )
    def partial_update(self, request, pk=None):
        line = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "fitted" in data:
            service = services.fit_part if data["fitted"] else services.unfit_part
            line = service(line, by=request.user)
        elif data:
            line = services.update_line(line, by=request.user, **data)
        return Response(line_data(line))

    @extend_schema(
        responses={204: None},
        description="Take the line off the estimate; a fitted part goes back to "
        "stock first.",
    )
    def destroy(self, request, pk=None):
        services.remove_line(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
