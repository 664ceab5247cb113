"""Who may do what: roles mapped to permissions, and the guards views declare.

Permissions are ordinary Django permission strings ("app_label.codename"), so
`user.has_perm()`, `{% if perms.x.y %}`, Django admin and the REST API all ask
the same question; `RoleBackend` answers it from the user's role. A Super Admin
is a superuser and holds every permission. docs/roles.md is the human table;
the role matrix test proves it.

Every view declares its rule with one of:
- `@login_not_required` (Django): public, e.g. the sign-in page;
- `@staff_required` / `StaffRequiredMixin`: any signed-in member of staff;
- `@perm_required(...)` / `PermRequiredMixin`: staff holding those permissions.
The `accounts.E001` system check fails on a view that declares nothing.
"""

from functools import wraps

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.mixins import PermissionRequiredMixin as DjangoPermMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from .models import Role

# Named actions that are not a model's add/change/delete/view.
MANAGE_STAFF = "accounts.manage_staff"
MANAGE_ADMINS = "accounts.manage_admins"
CHANGE_SHOP_SETTINGS = "accounts.change_shopsettings"
# Everyone's API tokens (list, revoke); staff always manage their own.
MANAGE_API_TOKENS = "accounts.manage_api_tokens"
VIEW_PRODUCTS = "inventory.view_product"
ADD_PRODUCTS = "inventory.add_product"
CHANGE_PRODUCTS = "inventory.change_product"
DELETE_PRODUCTS = "inventory.delete_product"
VIEW_COSTS = "inventory.view_cost"
MANAGE_STOCK = "inventory.manage_stock"
EXPORT_PRODUCTS = "inventory.export_product"
IMPORT_PRODUCTS = "inventory.import_product"
VIEW_CUSTOMERS = "customers.view_customer"
ADD_CUSTOMERS = "customers.add_customer"
CHANGE_CUSTOMERS = "customers.change_customer"
VIEW_INVOICES = "invoices.view_invoice"
ADD_INVOICES = "invoices.add_invoice"
VOID_INVOICES = "invoices.void_invoice"
CREDIT_INVOICES = "invoices.credit_invoice"
RECORD_PAYMENTS = "invoices.add_payment"
REFUND_PAYMENTS = "invoices.refund_payment"
VIEW_RECEIVABLES = "invoices.view_receivables"
USE_TILL = "sales.use_till"
VIEW_SALES = "sales.view_sale"
APPROVE_DISCOUNTS = "sales.approve_discount"
APPROVE_RETURNS = "sales.approve_return"
VOID_SALES = "sales.void_sale"
MANAGE_SHIFTS = "sales.manage_shift"
VIEW_REPAIRS = "repairs.view_ticket"
ADD_REPAIRS = "repairs.add_ticket"
CHANGE_REPAIRS = "repairs.change_ticket"
ALLOW_ON_ACCOUNT = "repairs.allow_on_account"
EDIT_REPAIR_MESSAGES = "repairs.edit_message_templates"
VIEW_REPORTS = "reports.view_reports"


def model_perms(app_label, model, *actions):
    return {f"{app_label}.{action}_{model}" for action in actions}


USER_PERMISSIONS = frozenset(
    {
        # Look products and stock up; change nothing, see no costs.
        VIEW_PRODUCTS,
        "inventory.view_stockmove",
        # Serve customers: find, add and edit them, see and take what they owe.
        VIEW_CUSTOMERS,
        ADD_CUSTOMERS,
        CHANGE_CUSTOMERS,
        VIEW_INVOICES,
        "invoices.view_payment",
        RECORD_PAYMENTS,
        # The till: sell, take payments, open and close their own shift.
        USE_TILL,
        VIEW_SALES,
        # Repairs: book devices in, work the tickets, take deposits.
        VIEW_REPAIRS,
        ADD_REPAIRS,
        CHANGE_REPAIRS,
    }
)

ADMIN_PERMISSIONS = USER_PERMISSIONS | {
    MANAGE_STAFF,
    # Django admin: staff accounts (the admin limits them to role User) and
    # failed sign-ins, so a manager can unlock a till.
    *model_perms("accounts", "user", "view", "add", "change"),
    *model_perms("axes", "accessattempt", "view", "delete"),
    *model_perms("axes", "accessfailurelog", "view"),
    *model_perms("axes", "accesslog", "view"),
    # Products, prices and stock.
    ADD_PRODUCTS,
    CHANGE_PRODUCTS,
    DELETE_PRODUCTS,
    VIEW_COSTS,
    MANAGE_STOCK,
    EXPORT_PRODUCTS,
    IMPORT_PRODUCTS,
    *model_perms("inventory", "category", "view", "add", "change"),
    *model_perms("inventory", "supplier", "view", "add", "change"),
    *model_perms("inventory", "goodsreceipt", "view"),
    *model_perms("inventory", "stockcount", "view"),
    *model_perms("accounts", "taxrate", "view"),
    # Billing: manual invoices, voids, credit notes, refunds, receivables.
    ADD_INVOICES,
    VOID_INVOICES,
    CREDIT_INVOICES,
    REFUND_PAYMENTS,
    VIEW_RECEIVABLES,
    # The till: approve discounts and returns at any till, void, manage shifts.
    APPROVE_DISCOUNTS,
    APPROVE_RETURNS,
    VOID_SALES,
    MANAGE_SHIFTS,
    # Repairs: let one go on account, word the customer emails.
    ALLOW_ON_ACCOUNT,
    EDIT_REPAIR_MESSAGES,
    # Reports, the dashboard and their exports.
    VIEW_REPORTS,
}

ROLE_PERMISSIONS = {
    Role.USER: frozenset(USER_PERMISSIONS),
    Role.ADMIN: frozenset(ADMIN_PERMISSIONS),
    # Super Admins are superusers: Django grants them everything before asking.
    Role.SUPER_ADMIN: frozenset(),
}


class RoleBackend(ModelBackend):
    """Signs users in like Django's backend; permissions come from the role."""

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        return set(ROLE_PERMISSIONS.get(user_obj.role, ()))

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        prefix = f"{app_label}."
        return any(p.startswith(prefix) for p in self.get_all_permissions(user_obj))


def can_manage_role(actor, role):
    """Whether `actor` may create or change staff who have (or get) `role`."""
    if role == Role.USER:
        return actor.has_perm(MANAGE_STAFF)
    return actor.has_perm(MANAGE_ADMINS)


def perm_required(*perms):
    """Function views: signed-in staff holding all `perms`; anonymous: sign in."""

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded.access = describe(perms)
        return guarded

    return decorator


staff_required = perm_required()
staff_required.__doc__ = "Function views: any signed-in member of staff."


class StaffRequiredMixin(LoginRequiredMixin):
    """Class views: any signed-in member of staff."""

    access = "staff"


class PermRequiredMixin(DjangoPermMixin):
    """Class views: staff holding `permission_required`; anonymous: sign in."""

    @classmethod
    def as_view(cls, **initkwargs):
        if not cls.permission_required:
            raise ImproperlyConfigured(f"{cls.__name__} sets no permission_required.")
        view = super().as_view(**initkwargs)
        view.access = describe(cls.permission_required)
        return view


def describe(perms):
    if isinstance(perms, str):
        perms = (perms,)
    return "perm:" + ",".join(perms) if perms else "staff"


def access_of(view):
    """The rule a view declared ("public", "staff", "perm:...", "api:..."), or None.

    An explicit rule wins over `login_required = False`: API views are exempt
    from the sign-in redirect (they answer 401 themselves) but are not public.
    """
    rule = getattr(view, "access", None)
    if rule is None:
        rule = getattr(getattr(view, "view_class", None), "access", None)
    if rule is None and getattr(view, "login_required", True) is False:
        return "public"
    return rule
