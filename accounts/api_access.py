"""The REST API's access rules: the same permissions as the web views.

A view (viewset) declares `required_perms`, a map from an action ("list",
"create", ...) or from "read" / "write" (safe / unsafe methods, for actions not
named) to the permissions needed. `HasPerms` asks `request.user.has_perms()`,
so `RoleBackend` answers for the API exactly as for the pages. An action the
map does not cover is refused. Anonymous callers get 401, staff without the
permissions 403.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .access import describe


def perms_for(view, request):
    """The permissions this request needs, or None when the view allows nothing."""
    rules = getattr(view, "required_perms", None) or {}
    action = getattr(view, "action", None)
    if action in rules:
        return tuple(rules[action])
    kind = "read" if request.method in SAFE_METHODS else "write"
    return tuple(rules[kind]) if kind in rules else None


class HasPerms(BasePermission):
    """Signed-in staff holding the permissions the view requires for the action."""

    message = "Your role does not allow this."

    def has_permission(self, request, view):
        if not hasattr(view, request.method.lower()):
            return True  # a method the view does not offer: DRF answers 405
        if not (request.user and request.user.is_authenticated):
            return False
        perms = perms_for(view, request)
        return perms is not None and request.user.has_perms(perms)


class ApiAccessMixin:
    """For every API view: declares its rule (system check accounts.E001) and
    leaves anonymous requests to the API, which answers 401, not a redirect."""

    permission_classes = [HasPerms]
    required_perms: dict = {}

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        view.login_required = False
        view.access = "api:" + ";".join(
            f"{action}={describe(tuple(perms))}"
            for action, perms in sorted(cls.required_perms.items())
        )
        return view
