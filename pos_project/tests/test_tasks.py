from celery import shared_task
from django.db import transaction

from pos_project.tasks import enqueue_on_commit

ran = []  # what the test task received


@shared_task
def remember(value):
    ran.append(value)


def test_a_task_runs_only_after_the_transaction_commits(
    db, django_capture_on_commit_callbacks
):
    ran.clear()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(remember, "sent")
        assert ran == []
    assert ran == ["sent"]


def test_a_task_never_runs_for_a_rolled_back_transaction(
    db, django_capture_on_commit_callbacks
):
    ran.clear()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                enqueue_on_commit(remember, "lost")
                raise RuntimeError("checkout failed")
        except RuntimeError:
            pass
    assert ran == []


@shared_task
def explode(value):
    raise RuntimeError(f"mail server down for {value}")


def test_a_failing_task_is_logged_and_does_not_fail_what_committed(
    db, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(explode, "INV-000001")
        enqueue_on_commit(remember, "still sent")
    assert "still sent" in ran
    assert "mail server down for INV-000001" in caplog.text
