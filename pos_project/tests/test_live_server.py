"""The live server of the browser tests: each request on a connection of its own.

On one SQLite connection shared between threads, a statement calling an SQL
function written in Python (Django's date functions are) holds the
connection's mutex and, inside it, waits for the GIL; a thread reading a row
from the same connection holds the GIL and waits for the mutex. Neither gives
way, and no thread of the process runs again: not the test, not its timeout.
"""

import faulthandler
import os
import threading
import time
import urllib.request

import pytest
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.backends.signals import connection_created
from django.http import HttpResponse
from django.urls import path

# Ends the process with every thread's stack if it deadlocks: a timeout that
# runs Python (pytest-timeout's) cannot, since no Python runs then.
WATCHDOG_SECONDS = 30
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
    print(
        "REQ",
        id(connection._connections),
        connection.settings_dict["NAME"],
        id(connection.connection),
        connection.vendor,
        flush=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pause(7)")
        (value,) = cursor.fetchone()
    return HttpResponse(str(value))


urlpatterns = [path("pause/", paused_query)]


@pytest.mark.urls(__name__)
def test_a_live_server_request_and_the_test_read_the_database_at_once(
    django_db_setup, live_server, capsys
):
    # The test database is set up before the server starts, as in a whole run,
    # where earlier tests set it up: the server then takes what connections
    # the database has at that moment.
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    inside.clear()
    connection_created.connect(add_pause, dispatch_uid=__name__)
    with capsys.disabled():
        stderr = os.dup(2)  # not the captured one: the stacks must be seen
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True, file=stderr)
    try:
        connection.ensure_connection()
        print(
            "TEST",
            id(connection.connection),
            connection.settings_dict["NAME"],
            flush=True,
        )
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
        faulthandler.cancel_dump_traceback_later()
        os.close(stderr)
        connection_created.disconnect(dispatch_uid=__name__)
    assert row == (2,)
    assert answers == [b"7"]
