from django.apps import AppConfig

from pos_project.documents import register_document


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = "Sales"

    def ready(self):
        from accounts import live
        from accounts.access import VIEW_SALES
        from customers.panels import register_panel

        from .models import CashMovement, Return, Sale, Shift

        live.watch(Sale, "sales")
        live.watch(Return, "sales")
        live.watch(Shift, "sales")
        live.watch(CashMovement, "sales")

        register_panel(
            "Sales",
            "sales:customer_sales",
            order=5,
            permission=VIEW_SALES,
            live="sales",
        )
        # A receipt scanned at the till opens the return of its items.
        register_document(r"R-\d+", return_page)


def return_page(number, user):
    from django.urls import reverse

    from accounts.access import USE_TILL

    from .services import find_sale

    if not user.has_perm(USE_TILL):
        return None
    sale = find_sale(number.partition("-")[2])  # "R-42" is R-000042 too
    return reverse("sales:return_create", args=[sale.pk]) if sale else None
