"""Running side effects after the surrounding transaction commits."""

from functools import partial

from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs):
    """Queue `task` once the current transaction commits; never for a rollback.

    With a broker the task goes to a Celery worker; without one (the default)
    Celery runs it in process, still only after commit.
    """
    transaction.on_commit(partial(task.delay, *args, **kwargs))
