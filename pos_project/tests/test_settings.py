import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijkl",
    "ALLOWED_HOSTS": "pos.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://pos.example.com",
    "SECURE_PROXY_SSL_HEADER": "true",
    "REPAIR_PASSCODE_KEYS": "bXrWJ3mRTqzQ0Qe4k8Zxw3nS9vX2h0aL5cYjP7uF1dE=",
    "SITE_URL": "https://pos.example.com",
    "EMAIL_URL": "smtp+tls://pos:secret@smtp.example.com:587",
    "CACHE_URL": "rediscache://127.0.0.1:6379/1",
}
# Variables the test run sets that production would not.
TEST_ONLY = {
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "STATIC_MANIFEST",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "REPAIR_PASSCODE_KEYS",
    "SITE_URL",
    "EMAIL_URL",
    "CACHE_URL",
}


def manage(*args, env):
    base = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_are_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_warn_of_what_production_left_at_its_default():
    env = {
        key: value
        for key, value in PRODUCTION_ENV.items()
        if key not in ("SITE_URL", "EMAIL_URL", "CACHE_URL")
    }
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "http://127.0.0.1:8000" in output  # links in customers' emails
    assert "console" in output  # emails printed instead of sent
    assert "each worker" in output  # rate limits counted per process
    for check_id in ("accounts.W001", "accounts.W002", "accounts.W003"):
        assert check_id in output


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for():
    assert settings.DEBUG is False


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db):
    # The test database is a file, opened as `make run` opens its own.
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert settings.DATABASES["default"]["OPTIONS"]["timeout"] == 20
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20_000


def test_malformed_settings_fail_loudly():
    result = manage("check", env={**PRODUCTION_ENV, "CURRENCY_DECIMAL_PLACES": "7"})
    assert result.returncode != 0
    assert "CURRENCY_DECIMAL_PLACES" in result.stderr
