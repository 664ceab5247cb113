import django_tables2 as tables

from .models import User


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
