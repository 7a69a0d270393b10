"""Django settings for KetaCare, driven by environment variables (see README: Configuration)."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import dj_database_url

from ketacare.accounts.email_config import email_settings
from ketacare.lib.env import EnvError, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("KETACARE_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("KETACARE_DEBUG", False)
# Errors a page could survive (one timeline source failing) are raised instead of logged: tests and debug.
KETACARE_FAIL_LOUDLY = env_bool("KETACARE_FAIL_LOUDLY", DEBUG)
# Demo mode seeds known accounts and shows demo TOTP codes on the MFA page; never in production.
DEMO_MODE = env_bool("KETACARE_DEMO", False)
# Behind TLS (the default): secure cookies, HSTS, redirect to https. `make demo` serves plain
# http on 127.0.0.1 and turns this off.
HTTPS = env_bool("KETACARE_HTTPS", True)


def _secret_key() -> str:
    key = env_str("KETACARE_SECRET_KEY", "")
    if key:
        if len(key) < 50:
            raise EnvError("KETACARE_SECRET_KEY must be at least 50 characters long")
        return key
    # No secret in the repository: a single-machine install keeps a generated key next to its data.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


def _audit_key() -> str:
    # The audit chain is keyed (HMAC) with a key kept outside the database, so someone who can write to
    # the database cannot recompute a rewritten chain (docs/security.md S7, docs/decisions/0015).
    key = env_str("KETACARE_AUDIT_KEY", "")
    if key:
        if len(key) < 32:
            raise EnvError("KETACARE_AUDIT_KEY must be at least 32 characters long")
        return key
    key_file = DATA_DIR / "audit_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


AUDIT_KEY = _audit_key()
# Keys retired by a rotation: rows they sealed still verify (docs/decisions/0015, "Rotating the key").
AUDIT_OLD_KEYS = env_list("KETACARE_AUDIT_OLD_KEYS", [])
# Where `ketacare audit-anchor` appends the signed chain heads: keep it off the database's machine or on
# append-only storage; `audit-verify` checks the database against every anchor in it.
AUDIT_ANCHOR_PATH = Path(env_str("KETACARE_AUDIT_ANCHOR_PATH", str(DATA_DIR / "audit-anchors.jsonl")))
ALLOWED_HOSTS = env_list("KETACARE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("KETACARE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # One-time recovery codes for staff who lose their authenticator (docs/decisions/0011).
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "template_partials",
    "csp",
    # The task queue and its scheduler (docs/decisions/0018).
    "django_q",
    "ketacare.accounts",
    "ketacare.clinics",
    "ketacare.patients",
    "ketacare.audit",
    "ketacare.notifications",
    "ketacare.alerts",
    "ketacare.intake",
    "ketacare.treatments",
    "ketacare.checkins",
    "ketacare.questionnaires",
    "ketacare.journal",
    "ketacare.messaging",
    "ketacare.interop",
    "ketacare.vigilance",
    "ketacare.outcomes",
    "ketacare.companion",
    "ketacare.ops",
    "ketacare.support",
    "ketacare.register",
]

MIDDLEWARE = [
    # Outermost: the access log and request metrics time the whole stack (docs/decisions/0018).
    "ketacare.ops.observability.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body: an oversized or deeply nested API body gets the API's JSON error.
    "ketacare.lib.middleware.ApiBodyLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ketacare.audit.middleware.AuditContextMiddleware",
    "ketacare.accounts.middleware.SessionLifetimeMiddleware",
    "ketacare.lib.middleware.LoginRequiredMiddleware",
    "ketacare.accounts.middleware.StaffMFARequiredMiddleware",
    "ketacare.lib.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees a failed login that the authentication backends report.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketacare.urls"
WSGI_APPLICATION = "ketacare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ketacare" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketacare.clinics.context_processors.clinic_context",
                "ketacare.alerts.context_processors.alert_counts",
                "ketacare.accounts.context_processors.session_limits",
            ],
            # {% url %} reversing a row's pattern once per page, not once per link (same output).
            "builtins": ["ketacare.lib.urltag"],
        },
    }
]

# Form widgets rendered by Django's own Jinja2 form templates (the same markup as its template-engine
# ones): the run-sheet renders about twenty fields, and through the template engine they were a third of
# its CPU time (bench/profile_requests.py --workloads runsheet: 65 -> 43 ms, docs/decisions/0027).
FORM_RENDERER = "django.forms.renderers.Jinja2"

# --- Database -------------------------------------------------------------------------------
# SQLite by default (one clinic, one machine); DATABASE_URL selects PostgreSQL.
_database_url = env_str("DATABASE_URL", "")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("KETACARE_SQLITE_PATH", str(DATA_DIR / "ketacare.sqlite3")),
            # Each web process keeps its connection between requests, as on PostgreSQL: opening one
            # (the file, the WAL index and the PRAGMAs below) and its emptied page cache were about a
            # fifth of a page's time under load (docs/decisions/0017).
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
                # timeout instead of failing with "database is locked" on lock upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                # WAL lets readers proceed during a write; synchronous=FULL makes every
                # acknowledged commit durable across power loss (docs/security.md S10).
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA busy_timeout=30000;"
                    "PRAGMA foreign_keys=ON;"
                    # Outcome analytics sort in window functions: keep temp b-trees in memory and
                    # give the page cache 64 MiB (negative = KiB), which cut the 100k-patient page
                    # time by about a third in bench/bench_outcomes.py.
                    "PRAGMA temp_store=MEMORY;"
                    "PRAGMA cache_size=-65536;"
                ),
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the patient record with the user (one query per request).
    "ketacare.accounts.backends.ModelBackend",
]
# Argon2id at Django's cost for new passwords; PBKDF2 still verifies older hashes. The test run
# swaps in a fast hasher from its pytest plugin (ketacare/lib/pytest_env.py), never through this
# module, and accounts/tests/test_login_and_sessions.py fails if this list is weakened.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {"NAME": "ketacare.accounts.validators.PersonalWordsValidator"},
    # Patients at least 8 characters, staff at least 12 (docs/security.md S9).
    {"NAME": "ketacare.accounts.validators.RoleAwareMinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ketacare.accounts.validators.MaximumLengthValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failures (django-axes), per account and address.
AXES_FAILURE_LIMIT = env_int("KETACARE_LOGIN_FAILURE_LIMIT", 5, minimum=3, maximum=20)
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "KetaCare"

# --- Sessions (docs/security.md S8) -----------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 12 * 60 * 60  # absolute lifetime 12 h, also enforced server-side
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_TIMEOUT_STAFF_S = 15 * 60
SESSION_IDLE_TIMEOUT_PATIENT_S = 30 * 60
SESSION_ABSOLUTE_LIFETIME_S = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "__Host-ketacare_session" if HTTPS else "ketacare_session"
CSRF_COOKIE_NAME = "__Host-ketacare_csrf" if HTTPS else "ketacare_csrf"

# --- Transport and headers (docs/security.md S5) ---------------------------------------------------
SECURE_SSL_REDIRECT = HTTPS
# Health checks and the scraper reach the application itself (127.0.0.1:8000, a container's port), not
# the TLS proxy: they answer over plain http. They carry no patient data; /metrics needs its token.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KETACARE_BEHIND_PROXY", False) else None
)
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
# The container image collects static files at build time into the image (KETACARE_STATIC_ROOT), so a
# read-only root filesystem needs no writable static directory.
STATIC_ROOT = Path(env_str("KETACARE_STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "ketacare" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if env_bool("KETACARE_PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Time and language ----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- E-mail (README "E-mail"): KETACARE_EMAIL_URL, or a django-anymail provider, or SMTP by parts;
# the console backend (mail printed, nothing sent) when none is set, as in the demo.
_email = email_settings(os.environ)
# Every message goes to the outbox and is delivered by the worker through MAIL_DELIVERY_BACKEND, with
# retries (docs/decisions/0018): no web request waits on a mail server.
EMAIL_BACKEND = "ketacare.ops.mail.QueuedEmailBackend"
MAIL_DELIVERY_BACKEND = _email["EMAIL_BACKEND"]
# Attempts before a message is marked failed (back-off 1, 2, 4 ... minutes, at most 6 hours apart).
MAIL_MAX_ATTEMPTS = env_int("KETACARE_MAIL_MAX_ATTEMPTS", 8, minimum=1, maximum=20)
# A worker holds a message this long while sending; if it dies, another sends it after the lease.
MAIL_SEND_LEASE_S = env_int("KETACARE_MAIL_SEND_LEASE_S", 300, minimum=10, maximum=3600)
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT", 30)
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
ANYMAIL = _email.get("ANYMAIL", {})
DEFAULT_FROM_EMAIL = env_str("KETACARE_FROM_EMAIL", "KetaCare <no-reply@ketacare.invalid>")
# The public address of this installation, for the links in messages: KETACARE_BASE_URL, else the
# address `ketacare setup --base-url` saved in the data directory, so the worker (which has no request
# to take a host from) links to the same place as the web server. With neither, messages sent from a
# request (invitations, password resets) use the address the request came to (ALLOWED_HOSTS bounds it),
# and the worker's (escalations, reminders) use lib.links.FALLBACK_BASE_URL, which opens only on this
# machine: `ketacare worker` warns at start.
PUBLIC_BASE_URL_FILE = DATA_DIR / "base_url"


def _public_base_url() -> str:
    url = env_str("KETACARE_BASE_URL", "")
    if not url and PUBLIC_BASE_URL_FILE.is_file():
        url = PUBLIC_BASE_URL_FILE.read_text().strip()
    return url.rstrip("/")


PUBLIC_BASE_URL = _public_base_url()

# --- Notifications to patients (docs/decisions/0020) -------------------------------------------
# Text messages: "console" prints them and keeps them in memory (nothing is sent); "twilio" sends them
# through Twilio's REST API (ketacare.notifications.channels.TwilioSmsBackend).
KETACARE_SMS_BACKEND = env_str("KETACARE_SMS_BACKEND", "console")
if KETACARE_SMS_BACKEND not in ("console", "twilio"):
    raise EnvError(f"KETACARE_SMS_BACKEND={KETACARE_SMS_BACKEND!r}: allowed console, twilio")
# Twilio: the account SID (AC + 32 hex digits), its auth token (which also signs the inbound STOP/START
# webhook, /sms/twilio/inbound/), and the sender: a phone number (+E.164) or a Messaging Service SID (MG...).
TWILIO_ACCOUNT_SID = env_str("KETACARE_TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("KETACARE_TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = env_str("KETACARE_TWILIO_FROM", "")
TWILIO_API_URL = env_str("KETACARE_TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
if KETACARE_SMS_BACKEND == "twilio":
    if not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and TWILIO_FROM):
        raise EnvError(
            "KETACARE_SMS_BACKEND=twilio needs KETACARE_TWILIO_ACCOUNT_SID, KETACARE_TWILIO_AUTH_TOKEN "
            "and KETACARE_TWILIO_FROM"
        )
    if not re.fullmatch(r"AC[0-9a-fA-F]{32}", TWILIO_ACCOUNT_SID):
        raise EnvError("KETACARE_TWILIO_ACCOUNT_SID: AC followed by 32 hexadecimal digits")
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}|MG[0-9a-fA-F]{32}", TWILIO_FROM):
        raise EnvError(
            "KETACARE_TWILIO_FROM: a phone number in +E.164 form or a Messaging Service SID (MG...)"
        )
    if not re.match(r"https://|http://(127\.0\.0\.1|localhost)[:/]", TWILIO_API_URL + "/"):
        raise EnvError("KETACARE_TWILIO_API_URL: an https address (plain http only to this machine)")
# Web Push VAPID key (PEM); empty: one is generated into the data dir on first use and kept there.
KETACARE_VAPID_PRIVATE_KEY = env_str("KETACARE_VAPID_PRIVATE_KEY", "")
KETACARE_VAPID_SUBJECT = env_str("KETACARE_VAPID_SUBJECT", "mailto:no-reply@ketacare.invalid")

# --- Invitations and password reset (docs/decisions/0011) -------------------------------------
# Staff and patient invitation links expire after this many hours (1 hour to 30 days).
INVITATION_TTL_HOURS = env_int("KETACARE_INVITATION_TTL_HOURS", 48, minimum=1, maximum=720)
# A password-reset link works for this long (Django's token machinery reads PASSWORD_RESET_TIMEOUT).
PASSWORD_RESET_TIMEOUT = 60 * env_int("KETACARE_PASSWORD_RESET_TTL_MINUTES", 60, minimum=5, maximum=1440)
# Reset requests allowed per hour for one e-mail address and for one client address.
PASSWORD_RESET_LIMIT_PER_EMAIL = env_int("KETACARE_PASSWORD_RESET_LIMIT_PER_EMAIL", 3, minimum=1, maximum=50)
PASSWORD_RESET_LIMIT_PER_IP = env_int("KETACARE_PASSWORD_RESET_LIMIT_PER_IP", 20, minimum=1, maximum=1000)
# Recovery codes a staff member receives at enrolment (each works once).
RECOVERY_CODE_COUNT = 10

# --- Logging: no patient data, passwords, tokens or OTP codes (docs/security.md S7) ---------------
# KETACARE_LOG_FORMAT=json: one JSON object per line (request id, role, route, status, duration on
# access lines); plain text by default for a person at a terminal.
_log_format = env_str("KETACARE_LOG_FORMAT", "plain")
if _log_format not in ("plain", "json"):
    raise EnvError(f"KETACARE_LOG_FORMAT={_log_format!r}: allowed values are plain, json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "ketacare.lib.observability.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": _log_format}},
    "root": {"handlers": ["console"], "level": env_str("KETACARE_LOG_LEVEL", "INFO")},
    "loggers": {
        # The request logger prints URLs, which carry patient public ids; keep warnings only.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        # The access log (one line per request, no patient data): KETACARE_ACCESS_LOG=false silences it.
        "ketacare.access": {"level": "INFO" if env_bool("KETACARE_ACCESS_LOG", True) else "WARNING"},
    },
}

# --- Metrics and error tracking (docs/decisions/0018) --------------------------------------------------
# /metrics answers only `Authorization: Bearer <token>`; without a token it is a 404.
METRICS_TOKEN = env_str("KETACARE_METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 24:
    raise EnvError("KETACARE_METRICS_TOKEN must be at least 24 characters long")
_sentry_dsn = env_str("KETACARE_SENTRY_DSN", "")
if _sentry_dsn:
    from importlib.metadata import version as _version

    from ketacare.lib.observability import init_sentry

    init_sentry(
        _sentry_dsn,
        environment=env_str("KETACARE_SENTRY_ENVIRONMENT", "production"),
        release=f"ketacare@{_version('ketacare')}",
    )

PAGE_SIZE = 25

# Large exports (docs/decisions/0018): above this many rows an export is prepared by the task queue
# instead of streamed from the request; the prepared file is kept this long for its requester.
EXPORT_INLINE_MAX_ROWS = env_int("KETACARE_EXPORT_INLINE_MAX_ROWS", 10000, minimum=0, maximum=1_000_000)
# A register PDF listing more entries than this is prepared by the worker: WeasyPrint lays out about
# 60 entries a second on a 2-core machine (docs/decisions/0018), so 200 keep a request under ~4 s.
REGISTER_PDF_INLINE_MAX_ENTRIES = env_int(
    "KETACARE_REGISTER_PDF_INLINE_MAX_ENTRIES", 200, minimum=0, maximum=1_000_000
)
EXPORT_TTL_HOURS = env_int("KETACARE_EXPORT_TTL_HOURS", 24, minimum=1, maximum=168)

# --- Task queue (docs/decisions/0018): Django-Q2 ------------------------------------------------------
# The database is the broker by default (SQLite or PostgreSQL, no extra service); KETACARE_REDIS_URL moves
# the queue to Redis when many workers poll. A job not acknowledged within `retry` seconds (its worker
# died) is delivered again, so `timeout` must stay below `retry` and every job is idempotent.
_redis_url = env_str("KETACARE_REDIS_URL", "").strip()
if _redis_url and not _redis_url.startswith(("redis://", "rediss://", "unix://")):
    raise EnvError(
        "KETACARE_REDIS_URL must start with redis:// (rediss:// for TLS, unix:// for a socket), "
        "e.g. redis://127.0.0.1:6379/0"
    )
# The queue's name: the Redis list is `django_q:<name>:q`, so installations sharing one Redis server
# (and database number) keep their jobs apart by giving each its own name.
_queue_name = env_str("KETACARE_QUEUE_NAME", "ketacare").strip()
if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", _queue_name):
    raise EnvError("KETACARE_QUEUE_NAME must be 1-40 letters, digits, '-' or '_'")
# A job running longer is stopped; one not acknowledged `retry` seconds after it was taken runs again.
_job_timeout_s = env_int("KETACARE_JOB_TIMEOUT_S", 300, minimum=2, maximum=3600)
Q_CLUSTER: dict[str, object] = {
    "name": _queue_name,
    "workers": env_int("KETACARE_QUEUE_WORKERS", 2, minimum=1, maximum=32),
    "timeout": _job_timeout_s,
    "retry": _job_timeout_s + min(60, _job_timeout_s),
    # A job that raises is retried at the next lease expiry, at most this many times.
    "max_attempts": 5,
    "ack_failures": False,
    # After downtime a periodic job runs once, not once per missed interval.
    "catch_up": False,
    # The broker classes (ketacare.jobs, below) wait between polls of an empty database queue themselves
    # (QUEUE_POLL_S, 1 s), on the worker's stop flag, so a TERM wakes them; the library's sleep is none.
    "poll": 0,
    # Jobs a cluster takes ahead of a free queue process. On TERM the library runs every job it has
    # taken before it exits, so it holds as few as it can (one here, one in the pusher's hand): the rest
    # stay in the queue for any worker (docs/decisions/0018, "Stopping a worker").
    "queue_limit": 1,
    "save_limit": 500,
    "label": "Task queue",
    # Tests run jobs synchronously through the library (KETACARE_TASKS_SYNC); never in production.
    "sync": env_bool("KETACARE_TASKS_SYNC", False),
}
if _redis_url:
    Q_CLUSTER["redis"] = _redis_url
    Q_CLUSTER["broker_class"] = "ketacare.jobs.RedisBroker"
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "ketacare.jobs.DatabaseBroker"

# Alert webhooks (docs/decisions/0019) go to public https addresses only, unless the clinic's receiver
# sits on its own network (loopback, private ranges, plain http): then set this.
KETACARE_WEBHOOK_ALLOW_PRIVATE = env_bool("KETACARE_WEBHOOK_ALLOW_PRIVATE", False)
