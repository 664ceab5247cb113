"""Live updates: what one screen changes shows on every other open screen.

The mechanism (docs/live.md has the why and the cost):

- Data is grouped into a few **topics** (TOPICS). Whatever changes a topic's
  data says so with `changed("stock")`; models registered with `watch()` say
  so on every save and delete. The topic's row in LiveTopic gets a new version
  and the time, once per transaction, after it commits.
- A page marks the parts that show such data with `{% live "stock" %}` (an
  element with an id), which renders `data-live="stock"`.
- static/js/live.js asks `/live/?topics=stock,billing` every two seconds,
  with the page's key in the X-Live-Key header. The
  answer is the topics' versions, or 304 when nothing changed: one small query,
  no session, no user, answered by `front` before Django's request handling.
  When a topic changed, the page is fetched again and
  each of its live parts is swapped for the fresh one (or an element with its
  own `hx-get` and `hx-trigger="live"` asks for its own fragment).
- The first answer is compared with the time the page was requested (the
  `data-live-since` of <body>, set by LiveMiddleware): a change while the page
  was on its way is not missed.

The poll is authorised by a signed key in the page (`live_key()`), not by the
session, so that it costs no session and user queries; the versions it reveals
say only that something changed, not what.
"""

import json
import logging
import time
from http import HTTPStatus
from urllib.parse import parse_qs

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils.http import quote_etag
from django.views.decorators.http import require_GET

from .models import LiveTopic

log = logging.getLogger(__name__)

TOPICS = {
    "stock": "Products, prices and stock on hand",
    "sales": "Sales, returns and voids at the tills; cash shifts and cash movements",
    "billing": "Invoices, payments and customers' balances",
    "repairs": "Repair tickets: status, estimate, parts",
    "customers": "Customers' details",
}

KEY_SALT = "accounts.live"


# -- Saying that something changed ---------------------------------------------


class _Bump:
    """The transaction's on-commit callback: bumps the topics it collected.

    On SQLite it runs as the transaction's last statement instead (see
    pos_project.sqlite): the versions are seen from the same commit, and the
    bump does not queue for the database's one writer lock a second time.
    """

    write_before_commit = True

    def __init__(self):
        self.topics = set()

    def __call__(self):
        bump(self.topics)


def changed(*topics):
    """Tell open screens that these topics' data changed.

    Inside a transaction this happens once, after it commits (nothing is told
    of a rollback); outside one, at once.
    """
    unknown = set(topics) - TOPICS.keys()
    if unknown:
        raise ValueError(f"Unknown live topics: {sorted(unknown)}")
    db = transaction.get_connection()
    if not db.in_atomic_block:
        bump(topics)
        return
    for _savepoints, callback, _robust in db.run_on_commit:
        if isinstance(callback, _Bump):
            callback.topics.update(topics)
            return
    callback = _Bump()
    callback.topics.update(topics)
    transaction.on_commit(callback, robust=True)


# After every checkout, in plain SQL as VERSIONS_SQL below: building this
# UPDATE through the ORM cost several times running it.
BUMP_SQL = (
    f"UPDATE {LiveTopic._meta.db_table} "  # noqa: S608 (only placeholders are added)
    "SET version = version + 1, changed_at = %s WHERE name IN ({names})"
)


def bump(topics):
    """Give these topics a new version now (one UPDATE)."""
    topics = sorted(set(topics))
    if not topics:
        return
    now = time.time()
    with connection.cursor() as cursor:
        cursor.execute(
            BUMP_SQL.format(names=", ".join(["%s"] * len(topics))), [now, *topics]
        )
        updated = cursor.rowcount
    if updated < len(topics):  # the first change of a topic: create its row
        for name in topics:
            LiveTopic.objects.get_or_create(
                name=name, defaults={"version": 1, "changed_at": now}
            )


def watch(model, *topics):
    """Every save and delete of `model` changes these topics (for changes made
    outside the services, e.g. in Django admin). Call from AppConfig.ready()."""

    def receiver(sender, **kwargs):
        changed(*topics)

    uid = f"live:{model._meta.label}"
    post_save.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=uid + ":d")


# -- Reading them -----------------------------------------------------------------


# The table has a row per topic, a handful: read whole, in plain SQL, since the
# ORM's building of the query would cost more than running it.
VERSIONS_SQL = f"SELECT name, version, changed_at FROM {LiveTopic._meta.db_table}"  # noqa: S608


def versions(topics=None):
    """{topic: (version, changed_at)} for these topics (all by default)."""
    with connection.cursor() as cursor:
        cursor.execute(VERSIONS_SQL)
        found = {name: (version, at) for name, version, at in cursor.fetchall()}
    wanted = TOPICS if topics is None else topics
    return {name: found.get(name, (0, 0.0)) for name in wanted}


def live_key(user) -> str:
    """The key a page of `user` polls with; good for as long as a session."""
    return signing.TimestampSigner(salt=KEY_SALT).sign(str(user.pk))


def _key_is_good(key: str) -> bool:
    try:
        signing.TimestampSigner(salt=KEY_SALT).unsign(
            key, max_age=settings.SESSION_COOKIE_AGE
        )
    except signing.BadSignature:
        return False
    return True


POLL_PATH = "/live/"  # pos_project/urls.py routes it to `poll`
TOO_OLD = "This page is too old to update itself; reload it."
NO_TOPICS = "Ask for one or more topics."


def answer(query_string: str, key: str = "", if_none_match: str = ""):
    """A poll's answer (status, headers, body) for `?topics=a,b` with the
    page's key (the X-Live-Key header, kept out of access logs): the topics'
    versions, or 304 when the ETag the page holds is still right.

    No session and no user are read: the key says a member of staff's page
    asks. One query.
    """
    query = parse_qs(query_string)
    if not _key_is_good(key):
        return _json(403, {"error": TOO_OLD})
    asked = ",".join(query.get("topics", [])).split(",")
    topics = [topic for topic in asked if topic in TOPICS]
    if not topics:
        return _json(400, {"error": NO_TOPICS})
    # No health check (a `SELECT 1` on PostgreSQL) before the one query: if the
    # kept connection died, this poll fails, the connection is dropped, and the
    # page's next poll opens a new one.
    connection.health_check_done = True
    found = versions(topics)
    etag = quote_etag(".".join(f"{name}{found[name][0]}" for name in topics))
    headers = [("ETag", etag), ("Cache-Control", "no-cache, private")]
    if etag in if_none_match:
        return 304, headers, b""
    status, json_headers, body = _json(
        200,
        {
            "topics": {
                name: {"version": version, "at": at}
                for name, (version, at) in found.items()
            }
        },
    )
    return status, headers + json_headers, body


def _json(status, data):
    body = json.dumps(data).encode()
    return status, [("Content-Type", "application/json")], body


@require_GET
def poll(request):
    """The poll as a Django view (runserver, tests); gunicorn's requests are
    answered by `front` before Django."""
    status, headers, body = answer(
        request.META.get("QUERY_STRING", ""),
        request.headers.get("X-Live-Key", ""),
        request.headers.get("If-None-Match", ""),
    )
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    return response


poll.login_required = False  # the key authorises it (LoginRequiredMiddleware)
poll.access = "signed key of a staff page"


def front(application):
    """Wraps the WSGI application: polls are answered before Django's request
    handling (request and response objects, middleware, signals), which costs
    several times the poll itself; idle screens poll all day (docs/live.md)."""

    def polls_first(environ, start_response):
        if (
            environ.get("PATH_INFO") != POLL_PATH
            or environ.get("REQUEST_METHOD") != "GET"
        ):
            return application(environ, start_response)
        try:
            status, headers, body = answer(
                environ.get("QUERY_STRING", ""),
                environ.get("HTTP_X_LIVE_KEY", ""),
                environ.get("HTTP_IF_NONE_MATCH", ""),
            )
        except Exception:
            # A dead connection: drop it, the next poll opens a new one.
            log.exception("A live-update poll failed")
            connection.close()
            status, headers, body = _json(503, {"error": "Try again."})
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    return polls_first


class LiveMiddleware:
    """Notes when each request started (no query), for `data-live-since`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.live_since = time.time()
        return self.get_response(request)
