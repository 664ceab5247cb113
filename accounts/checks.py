"""System checks: every view declares who may use it; `check --deploy` warns of
settings production must not keep at their development defaults."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
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


# Hosts that only the server itself reaches: a link to one in a customer's
# email leads nowhere.
LOCAL_HOSTS = {"localhost", "localhost.localdomain", ""}


def _is_local(host):
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@checks.register(checks.Tags.security, deploy=True)
def site_url(app_configs=None, **kwargs):
    host = urlsplit(settings.SITE_URL).hostname or ""
    if not _is_local(host):
        return []
    return [
        checks.Warning(
            f"SITE_URL is {settings.SITE_URL or 'empty'}: the links in customers' "
            "emails (the repair status page) would lead to the server itself.",
            hint="Set SITE_URL to the shop's public address, e.g. "
            "https://pos.example.com (see .env.example).",
            id="accounts.W001",
        )
    ]


# Backends that keep email on the server: printed, kept in memory, written to
# files or dropped.
UNSENT_EMAIL = {
    "django.core.mail.backends.console.EmailBackend": "printed to the console",
    "django.core.mail.backends.locmem.EmailBackend": "kept in memory",
    "django.core.mail.backends.filebased.EmailBackend": "written to files",
    "django.core.mail.backends.dummy.EmailBackend": "dropped",
}


@checks.register(checks.Tags.security, deploy=True)
def email_backend(app_configs=None, **kwargs):
    fate = UNSENT_EMAIL.get(settings.EMAIL_BACKEND)
    if fate is None:
        return []
    return [
        checks.Warning(
            f"Emails to customers (invoices, statements, repair updates) would be "
            f"{fate} instead of sent ({settings.EMAIL_BACKEND}).",
            hint="Set EMAIL_URL to the shop's mail server, e.g. "
            "smtp+tls://user:password@smtp.example.com:587 (see .env.example).",
            id="accounts.W002",
        )
    ]


# Caches each process keeps to itself: counts in them are per worker.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@checks.register(checks.Tags.caches, checks.Tags.security, deploy=True)
def shared_cache(app_configs=None, **kwargs):
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            f"The cache ({backend}) is kept by each worker to itself: the API's "
            "rate limit is counted by each worker apart, so several workers let "
            "through several times the rate.",
            hint="Set CACHE_URL to a Redis shared by every app server, e.g. "
            "rediscache://127.0.0.1:6379/1 (docs/setup.md).",
            id="accounts.W003",
        )
    ]
