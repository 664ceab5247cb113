"""The OpenAPI schema's error responses: what every operation can answer.

`AutoSchema` adds to each operation the errors it can give, all described by
one `Error` component, the body `pos_project.api.exception_handler` builds:

- 401 and 403 wherever a caller must sign in or hold permissions,
- 429 wherever requests are throttled,
- 404 on detail routes (no such record) and on paginated lists (a page past
  the end),
- 400 on writes and on lists that take filters (a value that is not one).

An operation that documents one of these codes itself (`extend_schema`) keeps
its own; `error_response()` describes another error (a 409, say) with the same
body. The schema is fuzzed against the running app (pos_project/tests/
test_api_schema.py), so an error that is not listed here fails the tests.
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, is_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, AllowAny

from pos_project.api import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from pos_project.idempotency import MAX_KEY_LENGTH

ERROR_COMPONENT = "Error"

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "The body of every error response. `fields` appears only when particular "
        "fields are wrong."
    ),
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {
                    "type": "integer",
                    "description": "The response's HTTP status, repeated.",
                    "example": 400,
                },
                "code": {
                    "type": "string",
                    "description": (
                        "What went wrong, for programs: `invalid`, "
                        "`parse_error`, `not_authenticated`, "
                        "`authentication_failed`, `permission_denied`, "
                        "`not_found`, `method_not_allowed`, `throttled`, ..."
                    ),
                    "example": "invalid",
                },
                "message": {
                    "type": "string",
                    "description": "What went wrong, for people: the app's sentence.",
                    "example": "Check the fields marked.",
                },
                "fields": {
                    "type": "object",
                    "description": "Field name -> the messages about its value.",
                    "additionalProperties": {
                        "type": "array",
                        "items": {"type": "string"},
                    },
                    "example": {
                        "sale_price": [
                            "Ensure this value is greater than or equal to 0."
                        ]
                    },
                },
            },
            "required": ["status", "code", "message"],
            "additionalProperties": False,
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}


def error_response(description):
    """An error response with the shared body, for `extend_schema(responses=...)`:
    `{409: error_response("The key was used for another request.")}`."""
    return OpenApiResponse(
        {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}, description=description
    )


# The one-time key of a request that makes something (pos_project.api).

IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        f"A key of your own, new for each request (a UUID, say), 1 to "
        f"{MAX_KEY_LENGTH} letters, digits or punctuation. Send the same key "
        "when you retry the request: what the first one made is returned (200) "
        "and nothing is made twice. The same key with a different body is "
        "refused (409)."
    ),
)
REPLAYED = OpenApiParameter(
    REPLAYED_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    enum=["true", "false"],
    response=[200, 201],
    description="`true` when the key was used before and this is what it made.",
)
KEY_REUSED = error_response(
    "The Idempotency-Key was already used for a different request (code "
    "`idempotency_key_reused`). Nothing was changed."
)


def _response(description, headers=None):
    response = {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
            }
        },
    }
    if headers:
        response["headers"] = headers
    return response


# Shared by the operations (components/responses), one per kind of error.
ERROR_RESPONSES = {
    "BadRequest": _response(
        "Bad input (`fields` names each field's problems), or a business rule "
        "refused it (`message` says which). Nothing was changed."
    ),
    "Unauthorized": _response(
        "No credentials, or a token that is unknown, revoked or expired, or whose "
        "owner is deactivated.",
        {
            "WWW-Authenticate": {
                "description": "How to authenticate: `Token`.",
                "schema": {"type": "string"},
            }
        },
    ),
    "Forbidden": _response(
        "Your role does not allow this (or a request through a session lacks its "
        "CSRF token)."
    ),
    "NotFound": _response("No such record."),
    "PageNotFound": _response("A page past the end, or not a page number."),
    "TooManyRequests": _response(
        "Too many requests.",
        {
            "Retry-After": {
                "description": "Seconds to wait before the next request.",
                "schema": {"type": "integer"},
            }
        },
    ),
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus the error responses of each operation."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        # Registered for every operation: error_response() refers to it too.
        self.registry.register_on_missing(
            ResolvedComponent(
                name=ERROR_COMPONENT,
                type=ResolvedComponent.SCHEMA,
                object=ERROR_COMPONENT,
                schema=ERROR_SCHEMA,
            )
        )
        responses = operation["responses"]
        for status, name in self.error_responses().items():
            responses.setdefault(str(status), self._error_response(name))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_responses(self):
        """{status: name of the shared response} for the errors this operation
        can give."""
        view = self.view
        errors = {}
        if self._validates_input():
            errors[400] = "BadRequest"
        if view.get_authenticators():
            errors[401] = "Unauthorized"
        if self._checks_permissions():
            errors[403] = "Forbidden"
        if "{" in self.path:
            errors[404] = "NotFound"
        elif self._is_list_view() and self._get_paginator():
            errors[404] = "PageNotFound"
        if view.get_throttles():
            errors[429] = "TooManyRequests"
        return errors

    def _validates_input(self):
        if self.method not in SAFE_METHODS:
            return True
        view = self.view
        filters = any(
            issubclass(backend, DjangoFilterBackend)
            for backend in self.get_filter_backends()
        ) and (
            getattr(view, "filterset_class", None)
            or getattr(view, "filterset_fields", None)
        )
        return bool(filters) or any(
            is_serializer(parameter)
            or (
                isinstance(parameter, OpenApiParameter)
                and parameter.location == OpenApiParameter.QUERY
                and not parameter.response
            )
            for parameter in self.get_override_parameters()
        )

    def _checks_permissions(self):
        view = self.view
        if not all(isinstance(p, AllowAny) for p in view.get_permissions()):
            return True
        # A session's writes are refused without the CSRF token.
        return self.method not in SAFE_METHODS and any(
            isinstance(a, SessionAuthentication) for a in view.get_authenticators()
        )

    def _error_response(self, name):
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.RESPONSE,
            object=name,
            schema=ERROR_RESPONSES[name],
        )
        self.registry.register_on_missing(component)
        return component.ref
