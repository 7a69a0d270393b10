"""A bare Django 5.2 project: the baseline bench/http_ratio.py measures KetaCare against.

It keeps what a Django project costs anyway: KetaCare's database settings (the same SQLite PRAGMAs,
transaction mode and timeouts, or the same PostgreSQL options from DATABASE_URL) and Django's own
middleware in KetaCare's order. Its two views are the least a page can do: one INSERT in atomic()
for the write, one query and a template for the read.
"""

from __future__ import annotations

import copy
import os

import dj_database_url

from ketacare import settings as ketacare_settings

SECRET_KEY = "bench-only-not-secret"  # noqa: S105 - a throwaway project on 127.0.0.1
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "bare",
]
# Django's own middleware of KetaCare's stack, in the same order (KetaCare's own and third-party
# middleware are what the comparison measures).
MIDDLEWARE = [m for m in ketacare_settings.MIDDLEWARE if m.startswith("django.")]
ROOT_URLCONF = "urls"
WSGI_APPLICATION = "wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
_url = os.environ.get("BARE_DATABASE_URL", "")
if _url:
    DATABASES = {"default": dj_database_url.parse(_url, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {"default": copy.deepcopy(ketacare_settings.DATABASES["default"])}
    DATABASES["default"]["NAME"] = os.environ["BARE_SQLITE_PATH"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
SESSION_ENGINE = ketacare_settings.SESSION_ENGINE
