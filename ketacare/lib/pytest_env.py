"""pytest plugin loaded before pytest-django: test-run defaults for the environment-driven settings.

Loaded with `-p ketacare.lib.pytest_env` (pyproject addopts) so it runs before the settings
module is imported; explicit environment variables still win.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
# The live server speaks plain http; production keeps HTTPS on by default.
os.environ.setdefault("KETACARE_HTTPS", "false")
# No collectstatic manifest in tests.
os.environ.setdefault("KETACARE_PLAIN_STATIC", "true")
os.environ.setdefault("KETACARE_DATA_DIR", os.path.join(tempfile.gettempdir(), "ketacare-test-data"))
