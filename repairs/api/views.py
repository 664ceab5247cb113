"""The repairs endpoints: tickets, and the lines of their estimates."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.access import ADD_REPAIRS, CHANGE_REPAIRS, RECORD_PAYMENTS, VIEW_REPAIRS
from accounts.api_access import ApiAccessMixin
from invoices.models import Payment
from pos_project.api import IDEMPOTENCY_HEADER, idempotency_key, made_response
from pos_project.api_schema import IDEMPOTENCY_KEY, KEY_REUSED, REPLAYED

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
        "the first request booked in (200); the key with a different body is "
        "refused (409)."
    ),
)


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

    def ticket_data(self, ticket):
        ticket = self.get_queryset().get(pk=ticket.pk)
        return TicketSerializer(ticket, context=self.get_serializer_context()).data

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
        deposit = data.pop("deposit", None)
        key = idempotency_key(request, required=deposit is not None)
        if deposit is not None:
            data["deposit"] = services.Deposit(
                deposit["amount"], deposit["method"], deposit["reference"]
            )
        if data.get("warranty_days") is None:
            data.pop("warranty_days", None)  # the shop's default
        made = services.create_ticket_once(by=request.user, key=key, **data)
        ticket = made.obj
        headers = {"Location": f"{request.path}{ticket.pk}/"} if made.created else {}
        return made_response(made, self.ticket_data(ticket), headers=headers)

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
        ticket = services.edit_ticket(ticket, by=request.user, **fields)
        return Response(self.ticket_data(ticket))

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
        return Response(self.ticket_data(ticket))

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
        made = services.record_deposit_once(
            ticket, by=request.user, key=key, **serializer.validated_data
        )
        payment = Payment.objects.select_related("received_by").get(pk=made.obj.pk)
        return made_response(made, RepairPaymentSerializer(payment).data)


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
