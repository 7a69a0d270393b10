"""pytest plugin loaded before pytest-django: test-run defaults for the environment-driven settings.

Loaded with `-p ketacare.lib.pytest_env` (pyproject addopts) so it runs before the settings
module is imported; explicit environment variables still win.
"""

from __future__ import annotations

import os
import sys
import tempfile

import pytest

# Keep compiled bytecode even where the environment turns it off (PYTHONDONTWRITEBYTECODE): without
# it every test process, xdist worker and server subprocess recompiles Django, NumPy and the
# assertion-rewritten test modules, about 10 s of each run's collection.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
# The live server speaks plain http; production keeps HTTPS on by default.
os.environ.setdefault("KETACARE_HTTPS", "false")
# No collectstatic manifest in tests.
os.environ.setdefault("KETACARE_PLAIN_STATIC", "true")
# A timeline source that fails must fail the test, not vanish from the page.
os.environ.setdefault("KETACARE_FAIL_LOUDLY", "true")
# Jobs queued in a test run in the test process through the task queue's own synchronous mode (real
# jobs, real outbox, no worker); tests/test_worker_process.py starts a real worker instead.
os.environ.setdefault("KETACARE_TASKS_SYNC", "true")
os.environ.setdefault("KETACARE_DATA_DIR", os.path.join(tempfile.gettempdir(), "ketacare-test-data"))

# Argon2 at production cost takes about 0.4 s per password, and the suite sets hundreds of them.
# Only this plugin swaps the hasher, so no environment variable can weaken a deployment;
# accounts/tests/test_login_and_sessions.py checks the production list itself.
TEST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from django.test.utils import override_settings

    # override_settings announces the change, which empties Django's cached hasher list.
    override_settings(PASSWORD_HASHERS=TEST_PASSWORD_HASHERS).enable()
