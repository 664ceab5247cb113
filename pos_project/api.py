"""What every REST API endpoint shares: pages of results, date-time filters
and one error body.

Every error answers

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {...}}}

`fields` (field name -> messages) appears only for validation errors. A
ValidationError raised by a service (django.core.exceptions) is a 400 with the
service's own message, as the web pages show it; a one-time key reused for a
different request (pos_project.idempotency.KeyReused) is a 409. A URL under
the API that no endpoint matches (`not_found`) answers with the same body, not
an HTML page.

Requests that make something a client may need to send again carry an
`Idempotency-Key` header: `idempotency_key(request)` reads it for the
service's `key=`, and `made_response(made, data)` answers 201, or 200 for a
retry, saying which in the `Idempotent-Replayed` header.

A date-time filter is a `MomentFilter`: an ISO 8601 moment, taken in UTC.
"""

import re
from datetime import UTC

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import IsoDateTimeFilter
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from pos_project.idempotency import MAX_KEY_LENGTH, KeyReused


class Pagination(PageNumberPagination):
    """`?page=2&page_size=100`: 50 a page by default, at most 200."""

    page_size_query_param = "page_size"
    max_page_size = 200


class MomentField(IsoDateTimeField):
    """An ISO 8601 date-time, in UTC: the database takes any moment, but not
    every offset from UTC that Python accepts (PostgreSQL: up to 15:59)."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:
            raise DjangoValidationError(self.error_messages["invalid"]) from exc


class MomentFilter(IsoDateTimeFilter):
    """Every date-time filter of the API: an odd offset filters by the moment
    it names; a moment outside the years 1 to 9999 in UTC is a 400."""

    field_class = MomentField


# The one-time key of a request that makes something (pos_project.idempotency).

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")


class KeyConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = KeyReused.code
    default_detail = "This Idempotency-Key was already used for a different request."


def idempotency_key(request, *, required=True) -> str | None:
    """The request's Idempotency-Key header for a service's `key=` (None when
    it is not `required` and not sent), or a 400 saying what is wrong."""
    if not required and IDEMPOTENCY_HEADER not in request.headers:
        return None
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not key:
        raise exceptions.ValidationError(
            f"Send an {IDEMPOTENCY_HEADER} header: a key of your own, new for each "
            "request and the same when you retry it, so nothing is made twice."
        )
    if not KEY_PATTERN.fullmatch(key):
        raise exceptions.ValidationError(
            f"The {IDEMPOTENCY_HEADER} is 1 to {MAX_KEY_LENGTH} letters, digits or "
            "punctuation, without spaces."
        )
    return key


def made_response(made, data, *, headers=None) -> Response:
    """The answer to a request that made something (a service's `Made`): 201,
    or 200 when a retry's key had made it before."""
    replayed = {REPLAYED_HEADER: "false" if made.created else "true"}
    return Response(
        data,
        status=status.HTTP_201_CREATED if made.created else status.HTTP_200_OK,
        headers={**(headers or {}), **replayed},
    )


NON_FIELD_KEYS = {NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY}


def _messages(detail):
    """Flat list of the messages in a DRF error detail (str, list or dict)."""
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]


def _validation_body(detail):
    """(message, fields) for a DRF ValidationError's detail."""
    if not isinstance(detail, dict):
        return " ".join(_messages(detail)), {}
    general = [m for key in NON_FIELD_KEYS for m in _messages(detail.get(key, []))]
    fields = {
        key: _messages(value)
        for key, value in detail.items()
        if key not in NON_FIELD_KEYS
    }
    if general:
        return " ".join(general), fields
    return "Check the fields marked.", fields


def _from_django(exc):
    """A service's ValidationError as DRF's, field errors kept by field."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})


def exception_handler(exc, context):
    if isinstance(exc, KeyReused):
        exc = KeyConflict(" ".join(exc.messages))
    elif isinstance(exc, DjangoValidationError):
        exc = _from_django(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling and logging
    error = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        error["code"] = "invalid"
        error["message"], fields = _validation_body(exc.detail)
        if fields:
            error["fields"] = fields
    else:
        codes = exc.get_codes()
        error["code"] = codes if isinstance(codes, str) else exc.default_code
        error["message"] = " ".join(_messages(exc.detail))
    response.data = {"error": error}
    return response


@csrf_exempt
@login_not_required
def not_found(request, *args, **kwargs):
    """The API's 404 for a URL no endpoint matches (e.g. `/api/v1/products/x/`)."""
    error = {
        "status": 404,
        "code": "not_found",
        "message": f"No API endpoint at {request.path}; see /api/docs/.",
    }
    return JsonResponse({"error": error}, status=404)
