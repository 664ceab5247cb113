import django_tables2 as tables

from .models import ApiToken, User


class StaffTable(tables.Table):
    name = tables.Column(
        accessor="get_full_name",
        linkify=True,
        order_by=("first_name", "last_name"),
        verbose_name="Name",
    )
    username = tables.Column()
    role = tables.Column()
    email = tables.EmailColumn()
    is_active = tables.BooleanColumn(verbose_name="Active")
    last_login = tables.DateTimeColumn(verbose_name="Last sign-in", format="j M Y H:i")

    class Meta:
        model = User
        fields = ["name", "username", "role", "email", "is_active", "last_login"]
        empty_text = "No staff match these filters."

    def render_name(self, value, record):
        return value or record.username


class ApiTokenTable(tables.Table):
    """Every member of staff's API tokens, for Super Admins."""

    user = tables.Column(linkify=True, order_by=("user__first_name", "user__username"))
    name = tables.Column()
    prefix = tables.TemplateColumn(
        "<code>{{ value }}…</code>", verbose_name="Key starts", orderable=False
    )
    created_at = tables.DateTimeColumn(verbose_name="Created", format="j M Y H:i")
    expires_at = tables.DateTimeColumn(verbose_name="Expires", format="j M Y H:i")
    last_used_at = tables.DateTimeColumn(verbose_name="Last used", format="j M Y H:i")
    state = tables.TemplateColumn(
        template_name="accounts/includes/token_state.html",
        verbose_name="State",
        orderable=False,
    )
    revoke = tables.TemplateColumn(
        template_name="accounts/includes/token_revoke.html",
        verbose_name="",
        orderable=False,
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at"]
        sequence = [*fields, "state", "revoke"]
        empty_text = "Nobody has an API token yet."
