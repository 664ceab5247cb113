from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self):
        from accounts import live

        from .models import Category, Product

        # Saves outside the stock ledger (a product edited, in the app or in
        # Django admin) redraw the tills' searches too.
        live.watch(Product, "stock")
        live.watch(Category, "stock")
