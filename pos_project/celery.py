"""The Celery app. Without CELERY_BROKER_URL tasks run in process (settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings")

app = Celery("pos_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
