"""Running side effects after the surrounding transaction commits."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, **kwargs):
    """Queue `task` once the current transaction commits; never for a rollback.

    With a broker the task goes to a Celery worker; without one (the default)
    Celery runs it in process, still only after commit. Either way a failure is
    logged and goes no further: the business action it follows has committed,
    and reporting it as failed would invite staff to do it twice.
    """

    def send():
        try:
            task.delay(*args, **kwargs)
        except Exception:
            logger.exception("Background task %s failed for %r", task.name, args)

    transaction.on_commit(send)
