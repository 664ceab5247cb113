from celery import shared_task
from django.db import transaction

from pos_project.tasks import enqueue_on_commit

ran = []


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
