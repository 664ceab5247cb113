"""The live server of the browser tests: each request on a connection of its own.

On one SQLite connection shared between threads, a statement calling an SQL
function written in Python (Django's date functions are) holds the
connection's mutex and, inside it, waits for the GIL; a thread reading a row
from the same connection holds the GIL and waits for the mutex. Neither gives
way, and no thread of the process runs again: not the test, not its timeout.
"""

import threading
import time
import urllib.request

import pytest
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.backends.signals import connection_created
from django.http import HttpResponse
from django.urls import path

PAUSE_SECONDS = 0.5

inside = threading.Event()


def pause(value):
    """An SQL function in Python that lets go of the GIL for a while."""
    inside.set()
    time.sleep(PAUSE_SECONDS)
    return value


def add_pause(sender, connection, **kwargs):
    connection.connection.create_function("pause", 1, pause)


@login_not_required
def paused_query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pause(7)")
        (value,) = cursor.fetchone()
    return HttpResponse(str(value))


urlpatterns = [path("pause/", paused_query)]


# If it deadlocks, the process ends with every thread's stack a little after
# the test's time limit (conftest's watchdog: pytest-timeout needs Python to
# run, and none does).
@pytest.mark.urls(__name__)
def test_a_live_server_request_and_the_test_read_the_database_at_once(
    django_db_setup, live_server
):
    # The test database is set up before the server starts, as in a whole run,
    # where earlier tests set it up: the server then takes what connections
    # the database has at that moment.
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    inside.clear()
    connection_created.connect(add_pause, dispatch_uid=__name__)
    try:
        connection.ensure_connection()
        add_pause(None, connection)  # in case the server shares this connection
        answers = []
        request = threading.Thread(
            target=lambda: answers.append(
                urllib.request.urlopen(  # noqa: S310 (the test's own server)
                    f"{live_server.url}/pause/", timeout=20
                ).read()
            )
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s", [1])  # prepared, and kept by the connection
            cursor.fetchall()
            request.start()
            assert inside.wait(10), "the request did not reach its query"
            # The request's statement is running its Python function now. The
            # kept statement is not prepared again: binding its value takes the
            # connection's mutex with the GIL held.
            cursor.execute("SELECT %s", [2])
            row = cursor.fetchone()
        request.join(20)
    finally:
        connection_created.disconnect(dispatch_uid=__name__)
    assert row == (2,)
    assert answers == [b"7"]
