"""System checks: every view declares who may use it."""

from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver

from .access import access_of

# Django admin decides access itself, through the same permissions.
SELF_GUARDED_NAMESPACES = {"admin"}


def iter_patterns(patterns=None, prefix="", namespace=None):
    """Every URL pattern as (route, qualified name or None, namespace, pattern)."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            if entry.namespace and namespace:
                inner = f"{namespace}:{entry.namespace}"
            yield from iter_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (
                f"{namespace}:{entry.name}" if namespace else entry.name
            )
            yield route, name, namespace, entry


@checks.register(checks.Tags.urls, checks.Tags.security)
def check_views_declare_access(app_configs=None, **kwargs):
    errors = []
    for route, name, namespace, pattern in iter_patterns():
        if namespace in SELF_GUARDED_NAMESPACES:
            continue
        if access_of(pattern.callback) is None:
            errors.append(
                checks.Error(
                    f"The view for /{route} ({name or 'unnamed'}) declares no access "
                    "rule.",
                    hint="Use login_not_required, staff_required, perm_required or "
                    "their mixins (accounts.access).",
                    obj=pattern.lookup_str,
                    id="accounts.E001",
                )
            )
        if not name:
            errors.append(
                checks.Error(
                    f"The URL /{route} has no name; the role matrix needs one.",
                    obj=pattern.lookup_str,
                    id="accounts.E002",
                )
            )
    return errors
