from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        # Each module registers its reports (reports.base.register) on import.
        from . import operations, repairs, sales  # noqa: F401
