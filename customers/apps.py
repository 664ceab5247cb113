from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers"

    def ready(self):
        from accounts import live

        from .models import Customer

        live.watch(Customer, "customers")
