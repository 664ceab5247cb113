from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = "Staff and shop"

    def ready(self):
        from django.contrib.auth import signals
        from django.contrib.auth.models import update_last_login
        from django.db.models.signals import pre_save

        from pos_project.validators import check_before_save

        from . import checks  # noqa: F401  (registers the system checks)
        from .signals import record_sign_in

        # No model saves a payment card number in a free-text field, whatever
        # path the write takes (pos_project/validators.py).
        pre_save.connect(check_before_save, dispatch_uid="refuse_card_numbers")

        # A sign-in updates last_login; that is not a change worth an audit row.
        signals.user_logged_in.disconnect(
            update_last_login, dispatch_uid="update_last_login"
        )
        signals.user_logged_in.connect(record_sign_in, dispatch_uid="update_last_login")


class PosAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "accounts.admin_site.PosAdminSite"
