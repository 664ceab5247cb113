import importlib
import os

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User

DEFAULT_PASSWORD = "demo-pass-2026"  # noqa: S105 (printed with the demo logins)


def demo_modules():
    """Each installed app's `demo` module, in INSTALLED_APPS (dependency) order."""
    for config in apps.get_app_configs():
        spec = importlib.util.find_spec(f"{config.name}.demo")
        if spec is not None:
            yield importlib.import_module(f"{config.name}.demo")


class Command(BaseCommand):
    help = (
        "Fill the database with a realistic phone and computer repair shop. "
        "Safe to run again: what exists is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has staff accounts.",
        )
        for module in demo_modules():
            if hasattr(module, "add_arguments"):
                module.add_arguments(parser)

    def handle(self, *args, **options):
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("The database already has data; demo data not loaded.")
            self.print_logins(options, created=[])
            return
        options["password"] = (
            options.get("password")
            or os.environ.get("DEMO_PASSWORD")
            or DEFAULT_PASSWORD
        )
        created = []
        for module in demo_modules():
            with transaction.atomic():
                result = module.load(options, self.stdout.write)
            if module.__name__ == "accounts.demo":
                created = result
        self.print_logins(options, created)

    def print_logins(self, options, created):
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"\nDemo logins (password: {options['password']})")
            )
            for username, role in created:
                self.stdout.write(f"  {username:<12} {role}")
            self.stdout.write("")
        elif User.objects.filter(
            username__in=["owner", "manager", "cashier", "technician"]
        ).exists():
            self.stdout.write(
                "Demo logins: owner, manager, cashier, technician "
                "(with the password set when the demo data was loaded)."
            )
