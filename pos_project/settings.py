"""Settings for the POS, read from the environment (see .env.example)."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from pos_project import content_policy
from pos_project.assets import CDN_ORIGIN

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (see .env.example)."
        )
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105 (DEBUG only)

# Fernet keys that encrypt the device passcodes on repair tickets, newest first
# (comma-separated; an older key still decrypts while passcodes are re-encrypted).
# Unset: a key derived from SECRET_KEY, which `check --deploy` warns about.
REPAIR_PASSCODE_KEYS = env.list("REPAIR_PASSCODE_KEYS", default=[])

# The address staff reach the app at, for links in emails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.apps.PosAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "simple_history",
    "accounts",
    "inventory",
    "customers",
    "invoices",
    "sales",
    "repairs",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Notes when the request started, for live updates (accounts/live.py).
    "accounts.live.LiveMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Anonymous requests go to the sign-in page unless a view is marked public.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content-Security-Policy header, and request.csp_nonce for templates.
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that a locked-out sign-in is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pos_project.urls"
WSGI_APPLICATION = "pos_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pos_project.context_processors.shop",
            ],
            "builtins": ["pos_project.templatetags.pos"],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (or another) through DATABASE_URL.
SQLITE_PATH = env.path("SQLITE_PATH", default=BASE_DIR / "db" / "pos.sqlite3")
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite, with write transactions queued on a file lock
    # (pos_project/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "pos_project.sqlite"
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two tills
        # queue (on the writer lock file, and for a write outside a transaction
        # on the busy timeout) instead of failing to upgrade a read lock.
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: PostgreSQL compiles the large report queries before
    # running them, which costs far more than the compiled code saves
    # (measured in docs/performance.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # Values bound on the server, and statements prepared once a connection has
    # run them five times (psycopg's threshold): a till's statements are then
    # parsed and planned once per worker, not once per sale
    # (pos_project/postgresql/base.py, docs/performance.md). Prepared
    # statements off for a connection pooler that cannot keep them (PgBouncer
    # before 1.21 in transaction mode).
    DATABASES["default"]["ENGINE"] = "pos_project.postgresql"
    DATABASES["default"]["OPTIONS"].setdefault(
        "server_side_binding", env.bool("POSTGRES_SERVER_SIDE_BINDING", default=True)
    )
    DATABASES["default"]["OPTIONS"].setdefault(
        "prepare_threshold",
        5 if env.bool("POSTGRES_PREPARED_STATEMENTS", default=True) else None,
    )
# Connections are kept between requests, SQLite's too: opening one (and setting
# its pragmas) costs more than a checkout's queries.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Users, roles and sign-in.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.access.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "reports:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# A till stays signed in for a long shift, not forever.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"
# How many reverse proxies stand in front of the app (their X-Forwarded-For
# entries are trusted); 0 when clients connect directly.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# Internationalisation and the shop's currency.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en-us")
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
CURRENCY_CODE = env.str("CURRENCY_CODE", default="USD")
# Read directly: django-environ takes a leading "$" for a reference to another
# variable.
CURRENCY_SYMBOL = os.environ.get("CURRENCY_SYMBOL", "$")
CURRENCY_DECIMAL_PLACES = env.int("CURRENCY_DECIMAL_PLACES", default=2)
if not 0 <= CURRENCY_DECIMAL_PLACES <= 4:
    raise ImproperlyConfigured("CURRENCY_DECIMAL_PLACES must be between 0 and 4.")

# Static files: whitenoise serves them, compressed and with hashed names.
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed names need `collectstatic`; development and tests serve
# the files straight from static/ instead.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "pos_project.storage.StaticStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Bootstrap, its icons, htmx and Chart.js are served from static/vendor/, so
# pages look and work the same when the internet is down. STATIC_CDN=true
# loads them from a public CDN with SRI instead (falling back to the local
# copies), and the Content-Security-Policy then allows that CDN.
STATIC_CDN = env.bool("STATIC_CDN", default=False)

# Security. Every secure default follows DEBUG and can be set on its own.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every response, with a fresh nonce
# for inline code (pos_project/content_policy.py, docs/setup.md).
csp_directives = content_policy.directives(cdn=CDN_ORIGIN if STATIC_CDN else "")
# CSP_REPORT_ONLY=true: the browser reports what the policy would block (in
# its console) and blocks nothing, for a shop tracking down a problem.
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": csp_directives}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": csp_directives}
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# Email: printed to the console unless EMAIL_URL is set.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="pos@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background work: Celery with Redis when a broker is set, in process otherwise.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker, large report exports run in a thread of the web process so
# the page can show their progress; off, they run within the request (tests).
EXPORTS_IN_THREAD = env.bool("EXPORTS_IN_THREAD", default=True)
CELERY_TIMEZONE = TIME_ZONE

# Third-party UI libraries.
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-hover align-middle"}

# The REST API (docs/api.md): token or session authentication, the roles'
# permissions (accounts.api_access), one error body (pos_project.api).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api_access.HasPerms"],
    "DEFAULT_PAGINATION_CLASS": "pos_project.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api_auth.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env.str("API_THROTTLE_RATE", default="120/min")},
    "EXCEPTION_HANDLER": "pos_project.api.exception_handler",
    # drf-spectacular's, plus the error responses of every operation.
    "DEFAULT_SCHEMA_CLASS": "pos_project.api_schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shop POS API",
    "DESCRIPTION": (
        "Products and stock, customers, sales and shifts, invoices and payments, "
        "repair tickets and report summaries of the shop. See docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema describes the API, not the shop's data: anyone may read it.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations are tagged (grouped in the docs) by resource: products, ...
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Choices that share a field name ("status", "kind") across the apps get
    # a name each, instead of a hashed one ("Status4cdEnum").
    "ENUM_NAME_OVERRIDES": {
        "InvoiceKindEnum": "invoices.models.InvoiceKind",
        "InvoiceStatusEnum": "invoices.models.InvoiceStatus",
        "RepairLineKindEnum": "repairs.models.LineKind",
        "RepairStatusEnum": "repairs.models.Status",
        "SaleStatusEnum": "sales.models.SaleStatus",
        "ShiftStatusEnum": "sales.models.ShiftStatus",
    },
    # Swagger UI's files come from static/ (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Axes logs every sign-in at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
