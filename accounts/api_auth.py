"""How the REST API knows who is calling: API tokens, and the rate each may use.

A program sends `Authorization: Token <key>`. The key is looked up by its
SHA-256 hash, so the database never holds a usable key. Browsers signed in to
the app use their session instead (SessionAuthentication, after this class).
"""

import contextlib
import math
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken

# last_used_at is for people ("used 5 minutes ago"), so one write a minute is
# enough; a write per request would make every API call a database write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>`: a token that is neither revoked nor expired,
    of an active member of staff."""

    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: send `Token <key>`, with no spaces "
                "in the key."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Unknown API token.") from None
        return self.authenticate_key(key)

    def authenticate_key(self, key):
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown API token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API token has been revoked.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed(
                f"This API token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC."
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                "The account this API token belongs to is deactivated."
            )
        now = timezone.now()
        if (
            token.last_used_at is None
            or now - token.last_used_at >= LAST_USED_RESOLUTION
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token header in the OpenAPI schema."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: create a key on your account page.",
        }


class ApiRateThrottle(SimpleRateThrottle):
    """Requests per token (per signed-in user for the session, per address for
    anonymous ones), at the `api` rate of REST_FRAMEWORK's DEFAULT_THROTTLE_RATES.

    Counts live in the cache, which production shares between every worker and
    app server (CACHE_URL on Redis; `check --deploy` warns otherwise). Each
    period (a minute of "120/min") has a counter, raised with the cache's
    atomic increment: DRF's own throttle reads a list of times and writes it
    back, so requests arriving together on different workers overwrite each
    other's count and more get through than the rate. The previous period
    still counts for the part of it that overlaps the last `duration` seconds,
    so a token cannot spend its rate at the end of one minute and again at the
    start of the next. A refused request is not counted.
    """

    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        period, into = divmod(self.now, self.duration)
        current = f"{self.key}:{int(period)}"
        # Kept for two periods: the next one still reads it as its previous.
        self.cache.add(current, 0, 2 * self.duration)
        try:
            count = self.cache.incr(current)
        except ValueError:
            # Expired between add and incr: this request starts the count.
            self.cache.add(current, 1, 2 * self.duration)
            count = 1
        self.previous = self.cache.get(f"{self.key}:{int(period) - 1}", 0)
        self.elapsed = into / self.duration
        if self.previous * (1 - self.elapsed) + count <= self.num_requests:
            return True
        # Taken back, so a client that keeps retrying is let in again as soon
        # as its rate allows.
        # (Expired meanwhile, there is nothing left to take back.)
        with contextlib.suppress(ValueError):
            self.cache.decr(current)
        self.count = count - 1
        return False

    def wait(self):
        """Seconds until one more request fits the rate."""
        room = self.num_requests - 1
        if self.count <= room and self.previous:
            # Within this period, once enough of the previous one has passed.
            needed = 1 - (room - self.count) / self.previous
            seconds = (needed - self.elapsed) * self.duration
        else:
            # The next period, with this one's count weighing on it.
            this_period = (1 - self.elapsed) * self.duration
            needed = max(1 - room / self.count, 0) if self.count else 0
            seconds = this_period + needed * self.duration
        return max(math.ceil(seconds), 1)
