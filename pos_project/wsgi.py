"""WSGI entry point for gunicorn: `gunicorn pos_project.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings")

django_application = get_wsgi_application()

# Live-update polls are answered before Django's request handling (accounts/live.py).
from accounts.live import front  # noqa: E402 (needs Django set up)

application = front(django_application)
