"""Repair reports: the workshop's load, its speed, who did the work, what it earned.

Money comes from the invoices, as billed. A repair is billed when it is ready
(or returned unrepaired with labour to pay): its billable ticket lines (the
labour, and the parts fitted) become its invoice's lines in the ticket's line
order (added, then id), and from then on neither the invoice nor the ticket's
lines change. So the n-th line of a repair invoice was billed from the n-th
billable line of its ticket, and that ticket line's kind says whether it was
labour or a part. This holds whatever happens to the products later. Telling
them apart by the invoice line's SKU would not: labour billed from a service
product carries an SKU too, and a product's SKU can be edited after the bill.

Figures are net of tax unless a column says gross. An invoice counts once it is
issued (issued, partly paid or paid); drafts and void invoices never count.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    Round,
    Trim,
)
from django.utils import timezone

from inventory.models import StockMove, StockReason
from invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from repairs.models import (
    OPEN_STATUSES,
    WORKING_STATUSES,
    DeviceType,
    LineKind,
    Priority,
    Status,
    Ticket,
    TicketLine,
)

from .base import (
    DATE,
    DECIMAL,
    INT,
    MONEY,
    PERCENT,
    Chart,
    Column,
    Report,
    register,
)
from .expressions import (
    AMOUNT,
    ZERO,
    label_of,
    local_day,
    money_sum,
    period_of,
    person,
    rank,
    ratio,
    round_cents,
    times,
)
from .filters import window

FOUR_PLACES = Decimal("0.0001")
BILLED = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)
NOT_ASSIGNED = "Not assigned"


def _one_place(expression):
    # Rounded in SQL (half away from zero on both databases): SQLite's cast to
    # a decimal does not round at all.
    return Cast(Round(expression, 1), DecimalField(max_digits=12, decimal_places=1))


def _fraction(part, whole):
    """part / whole as a fraction rounded to 4 places; empty when whole is zero."""
    return Cast(
        Round(ratio(part, whole), 4), DecimalField(max_digits=9, decimal_places=4)
    )


class HoursBetween(Func):
    """Hours from one datetime to a later one, as a decimal number."""

    arity = 2
    output_field = DecimalField(max_digits=14, decimal_places=6)

    def as_sql(self, compiler, connection, **extra_context):
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "sqlite":
            sql = f"((julianday({end}) - julianday({start})) * 24.0)"
        else:  # PostgreSQL: numeric, so that ROUND(x, 1) exists for it
            sql = f"(CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS numeric) / 3600)"
        return sql, (*end_params, *start_params)


class DaysBetween(Func):
    """Whole days from one date to a later one."""

    arity = 2
    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "sqlite":
            sql = f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"
        else:  # PostgreSQL: date - date is a number of days
            sql = f"(CAST({end} AS date) - CAST({start} AS date))"
        return sql, (*end_params, *start_params)


# Which ticket line an invoice line was billed from (see the module docstring).


def _position_on_invoice():
    """Of a ticket line (the outer query): its place among its ticket's billable
    lines, in the order billing writes them, which is its invoice line's
    position."""
    return Subquery(
        TicketLine.objects.billable()
        .filter(ticket=OuterRef("ticket"))
        .filter(
            Q(added_at__lt=OuterRef("added_at"))
            | Q(added_at=OuterRef("added_at"), pk__lte=OuterRef("pk"))
        )
        .order_by()
        .values("ticket")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def _billed_from(kind):
    """The ticket line of `kind` that an invoice line (the outer query) was billed
    from: none for the other kind, and none for a credit note's line."""
    return (
        TicketLine.objects.billable()
        .filter(kind=kind, ticket__invoice=OuterRef("invoice"))
        .annotate(position_on_invoice=_position_on_invoice())
        .filter(position_on_invoice=OuterRef("position"))
        .order_by()
    )


def _is_labour():
    return Exists(_billed_from(LineKind.LABOUR))


def _part_cost():
    """Of an invoice line (the outer query) billing a fitted part: what the part
    cost the shop: the unit cost recorded on the stock move that fitted it (the
    latest such move of that product for the ticket), the product's cost price
    then; for a part fitted before moves recorded it, the cost price now."""
    recorded = (
        StockMove.objects.filter(
            reason=StockReason.REPAIR_PART,
            reference_type__app_label="repairs",
            reference_type__model="ticket",
            reference_id=OuterRef("ticket_id"),
            product=OuterRef("product_id"),
            unit_cost__isnull=False,
        )
        .order_by("-created_at", "-pk")
        .values("unit_cost")[:1]
    )
    unit_cost = Coalesce(Subquery(recorded), F("product__cost_price"))
    return Subquery(
        _billed_from(LineKind.PART)
        .annotate(cost=times(F("quantity"), unit_cost))
        .values("cost")[:1],
        output_field=AMOUNT,
    )


def _ticket_net(*, labour):
    """Of a ticket (the outer query): the net billed on its issued invoice for
    labour, or for parts; 0.00 when nothing is billed or the invoice is void."""
    lines = InvoiceLine.objects.filter(
        invoice=OuterRef("invoice"), invoice__status__in=BILLED
    )
    lines = lines.filter(_is_labour()) if labour else lines.exclude(_is_labour())
    return Coalesce(
        Subquery(
            lines.order_by().values("invoice").annotate(net=Sum("net")).values("net"),
            output_field=AMOUNT,
        ),
        ZERO,
        output_field=AMOUNT,
    )


@register
class RepairsByStatus(Report):
    """Tickets booked in during the period, by their status now.

    - Tickets: tickets booked in (created) in the period, whatever became of
      them since, in each status they are in today. Cancelled and returned
      tickets are counted under their status.
    - Of which overdue: of those, the ones still being worked on (received,
      diagnosing, awaiting approval, awaiting parts, in repair) whose promised
      date is before today. Ready and closed tickets are never overdue.
    - Oldest open since: the booking-in date of the oldest ticket in that
      status that is still open (being worked on or ready for collection);
      empty for collected, cancelled and returned.
    """

    slug = "repairs-by-status"
    title = "Repairs by status"
    description = "Where the tickets booked in during the period stand now."
    group = "Repairs"
    columns = (
        Column("status_name", "Status", width=28),
        Column("tickets", "Tickets", INT, total=True),
        Column("overdue", "Of which overdue", INT, total=True),
        Column("oldest_open", "Oldest open since", DATE),
    )
    filter_paths = {"period": "created_at", "technician": "technician"}
    chart = Chart("doughnut", "status_name", ("tickets",))
    default_preset = "this_year"

    def base(self):
        return Ticket.objects.all()

    @staticmethod
    def _figures():
        overdue = Q(status__in=WORKING_STATUSES, promised_date__lt=timezone.localdate())
        return {"tickets": Count("pk"), "overdue": Count("pk", filter=overdue)}

    def rows(self, queryset, params):
        # Grouped by the column, not its label: PostgreSQL must see that the
        # label and the rank are of a grouped column, which it could not if
        # their values were sent apart from the statement (server-side binding).
        return (
            queryset.values("status")
            .annotate(
                **self._figures(),
                oldest_open=Min(
                    local_day("created_at", within=window(params)),
                    filter=Q(status__in=OPEN_STATUSES),
                ),
                status_name=label_of("status", Status.choices, default=""),
            )
            .values(*(column.key for column in self.columns))
            .order_by(rank("status", Status.choices))
        )

    def totals(self, queryset, params):
        return queryset.aggregate(**self._figures())


@register
class RepairTurnaround(Report):
    """How long repairs finished in the period took, by device type.

    - Repairs: tickets marked ready for collection in the period (by the time
      they became ready). Tickets returned unrepaired or cancelled never become
      ready and are not counted.
    - Average, shortest and longest hours: the hours from booking in (the
      ticket's creation) to ready for collection, whole days and nights
      included, to one decimal place.
    - Average bench minutes: the bench time recorded on those tickets, averaged
      over the tickets that have it recorded.

    The totals row gives the same figures over every device type.
    """

    slug = "repair-turnaround"
    title = "Repair turnaround"
    description = "How long the repairs finished in the period took, by device."
    group = "Repairs"
    columns = (
        Column("device", "Device type", width=18),
        Column("repairs", "Repairs", INT, total=True),
        Column("avg_hours", "Average hours", DECIMAL, total=True),
        Column("shortest_hours", "Shortest hours", DECIMAL, total=True),
        Column("longest_hours", "Longest hours", DECIMAL, total=True),
        Column("avg_minutes", "Average bench minutes", DECIMAL, total=True),
    )
    filter_paths = {"period": "ready_at", "technician": "technician"}
    chart = Chart("bar", "device", ("avg_hours",))

    def base(self):
        return Ticket.objects.filter(ready_at__isnull=False)

    @staticmethod
    def _figures():
        hours = HoursBetween("created_at", "ready_at")
        return {
            "repairs": Count("pk"),
            "avg_hours": _one_place(Avg(hours)),
            "shortest_hours": _one_place(Min(hours)),
            "longest_hours": _one_place(Max(hours)),
            "avg_minutes": _one_place(Avg("minutes_spent", output_field=FloatField())),
        }

    def rows(self, queryset, params):
        return (
            queryset.values("device_type")  # see RepairsByStatus.rows
            .annotate(
                **self._figures(),
                device=label_of("device_type", DeviceType.choices, default=""),
            )
            .values(*(column.key for column in self.columns))
            .order_by(rank("device_type", DeviceType.choices))
        )

    def totals(self, queryset, params):
        return queryset.aggregate(**self._figures())


@register
class RepairsByTechnician(Report):
    """Repairs finished in the period and what they billed, by technician.

    - Technician: the ticket's technician now; tickets with none are counted
      under "Not assigned".
    - Repairs: tickets marked ready for collection in the period.
    - Labour and Parts: the net (before tax) of those tickets' invoices, their
      labour lines and their fitted parts' lines, as billed. An invoice voided
      after it was issued counts nothing. Credit notes are not deducted here
      (Repair revenue shows them in the period they are issued), and the labour
      charged on devices returned unrepaired is not here either, as those
      repairs never finished: see Repair revenue.
    - Total: labour plus parts.
    - Average bench minutes: the bench time recorded on those tickets, averaged
      over the tickets that have it recorded.
    """

    slug = "repairs-by-technician"
    title = "Repairs by technician"
    description = (
        "Repairs finished in the period, their labour and parts, by who did them."
    )
    group = "Repairs"
    columns = (
        Column("technician_name", "Technician", width=24),
        Column("repairs", "Repairs", INT, total=True),
        Column("labour", "Labour", MONEY, total=True),
        Column("parts", "Parts", MONEY, total=True),
        Column("total", "Total", MONEY, total=True),
        Column("avg_minutes", "Average bench minutes", DECIMAL, total=True),
    )
    filter_paths = {"period": "ready_at"}
    chart = Chart("bar", "technician_name", ("labour", "parts"), stacked=True)

    def base(self):
        return Ticket.objects.filter(ready_at__isnull=False)

    @staticmethod
    def _billed(queryset):
        return queryset.annotate(
            labour_net=_ticket_net(labour=True), parts_net=_ticket_net(labour=False)
        )

    @staticmethod
    def _figures():
        return {
            "repairs": Count("pk"),
            "labour": money_sum("labour_net", rounding=round_cents),
            "parts": money_sum("parts_net", rounding=round_cents),
            "total": money_sum(F("labour_net") + F("parts_net"), rounding=round_cents),
            "avg_minutes": _one_place(Avg("minutes_spent", output_field=FloatField())),
        }

    def rows(self, queryset, params):
        return (
            self._billed(queryset)
            .values(technician_name=person("technician", default=NOT_ASSIGNED))
            .annotate(**self._figures())
            # By id too, so two technicians of the same name stay apart; the
            # tickets nobody was assigned come last.
            .order_by(
                Case(
                    When(technician__isnull=True, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                ),
                "technician_name",
                "technician_id",
            )
        )

    def totals(self, queryset, params):
        return self._billed(queryset).aggregate(**self._figures())


@register
class RepairRevenue(Report):
    """What repairs billed, labour and parts apart, by the day the invoices
    were issued (the day the repair was marked ready, or returned unrepaired
    with labour to pay).

    - Repairs billed: repair invoices issued in the period (not void).
    - Labour: the net (before tax) of their labour lines, as billed.
    - Parts: the net of their lines for fitted parts, as billed.
    - Credited: the net of credit notes issued in the period against repair
      invoices (of any date), as a negative amount. A credit note's lines are
      free text, so it is not split into labour and parts.
    - Tax: the tax of those invoices less the tax of those credit notes.
    - Total gross: labour + parts + credited + tax: what customers were billed.
    - Cost of parts: for each fitted part billed, its quantity times its unit
      cost: the cost price when it was fitted, recorded on the stock move
      that fitted it (for parts fitted before moves recorded it, the cost
      price now). A credit note returns no part, so costs nothing.
    - Parts margin: parts net less the cost of parts; Margin % is that margin
      as a share of the parts net (empty when no parts were billed).

    Labour + Parts is always the net of the repair invoices issued in the
    period. Deposits and payments do not change any figure: this is what was
    billed, not what was paid.
    """

    slug = "repair-revenue"
    title = "Repair revenue: labour and parts"
    description = (
        "What repairs billed by period: labour, parts, tax and the parts' margin."
    )
    group = "Repairs"
    columns = (
        Column("period", "Period", DATE),
        Column("repairs", "Repairs billed", INT, total=True),
        Column("labour", "Labour", MONEY, total=True),
        Column("parts", "Parts", MONEY, total=True),
        Column("credited", "Credited", MONEY, total=True),
        Column("tax", "Tax", MONEY, total=True),
        Column("gross", "Total gross", MONEY, total=True),
        Column("parts_cost", "Cost of parts", MONEY, total=True),
        Column("parts_margin", "Parts margin", MONEY, total=True),
        Column("margin", "Margin %", PERCENT, total=True),
    )
    filter_paths = {"period": "invoice__issue_date"}
    group_by = True
    chart = Chart("bar", "period", ("labour", "parts"), stacked=True)
    landscape = True
    totals_add_up = True

    def base(self):
        # The repairs' invoices and their credit notes first (a few hundred),
        # then their lines through the index on the invoice. With conditions
        # on the invoices' repairs instead, the planner cannot tell how few
        # invoices they keep, and reads every invoice line of the period.
        # A ticket's invoice is its bill (never a credit note).
        repaired = (
            Ticket.objects.filter(invoice__isnull=False).order_by().values("invoice")
        )
        credit_notes = (
            Invoice.objects.filter(
                kind=InvoiceKind.CREDIT_NOTE, credited_invoice__in=repaired
            )
            .order_by()
            .values("pk")
        )
        return InvoiceLine.objects.filter(
            invoice__in=repaired.union(credit_notes, all=True),
            invoice__status__in=BILLED,
        )

    @staticmethod
    def _figures():
        invoice = Q(invoice__kind=InvoiceKind.INVOICE)
        credit = Q(invoice__kind=InvoiceKind.CREDIT_NOTE)

        def parts():
            return money_sum(
                "net", filter=invoice & ~_is_labour(), rounding=round_cents
            )

        def margin():
            return round_cents(parts() - money_sum(_part_cost(), rounding=round_cents))

        def signed(field):
            return Case(
                When(credit, then=-F(field)), default=F(field), output_field=AMOUNT
            )

        return {
            "repairs": Count("invoice", distinct=True, filter=invoice),
            "labour": money_sum(
                "net", filter=invoice & _is_labour(), rounding=round_cents
            ),
            "parts": parts(),
            "credited": money_sum(-F("net"), filter=credit, rounding=round_cents),
            "tax": money_sum(signed("tax"), rounding=round_cents),
            "gross": money_sum(signed("gross"), rounding=round_cents),
            "parts_cost": money_sum(_part_cost(), rounding=round_cents),
            "parts_margin": margin(),
            "margin": _fraction(margin(), parts()),
        }

    def with_ratios(self, totals):
        parts = totals["parts"]
        if not parts:
            return totals | {"margin": None}
        share = totals["parts_margin"] / parts
        return totals | {"margin": share.quantize(FOUR_PLACES, ROUND_HALF_UP)}

    def rows(self, queryset, params):
        return (
            queryset.values(period=period_of("invoice__issue_date", params.group_by))
            .annotate(**self._figures())
            .order_by("period")
        )

    def totals(self, queryset, params):
        return queryset.aggregate(**self._figures())


@register
class OverdueRepairs(Report):
    """Tickets still being worked on whose promised date has passed, as of today.

    One row per ticket received, diagnosing, awaiting approval, awaiting parts
    or in repair whose promised date is before today; tickets ready for
    collection are not overdue. No period: it is the state of the bench now.
    Days overdue: today's date less the promised date (1 the day after it).
    Sorted by the most overdue first, then the highest priority.
    """

    slug = "repairs-overdue"
    period = False
    title = "Overdue repairs"
    description = "Repairs still on the bench after the date promised to the customer."
    group = "Repairs"
    columns = (
        Column("number", "Ticket", width=12),
        Column("customer_name", "Customer", width=24),
        Column("device", "Device", width=24),
        Column("status_name", "Status", width=26),
        Column("technician_name", "Technician", width=20),
        Column("promised", "Promised", DATE),
        Column("days_overdue", "Days overdue", INT),
        Column("priority_name", "Priority", width=10),
    )
    filter_paths = {"technician": "technician"}
    landscape = True

    def base(self):
        return Ticket.objects.overdue()

    def rows(self, queryset, params):
        today = Value(timezone.localdate(), output_field=DateField())
        return queryset.values(
            "pk",
            "number",
            customer_name=F("customer__name"),
            device=Trim(Concat("brand", Value(" "), "model")),
            status_name=label_of("status", Status.choices, default=""),
            technician_name=person("technician", default=NOT_ASSIGNED),
            promised=F("promised_date"),
            days_overdue=DaysBetween("promised_date", today),
            priority_name=label_of("priority", Priority.choices, default=""),
        ).order_by("promised_date", "-priority", "number")

    def totals(self, queryset, params):
        return {}
