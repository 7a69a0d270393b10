"""SQLite under concurrency (security.md #11), short form: 20 writers for 5 s through gunicorn, no errors.

The full 50-writer, 60-second run is part of `make bench` (bench/sqlite_writers.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_concurrent_writers_never_see_database_is_locked():
    spec = importlib.util.spec_from_file_location(
        "sqlite_writers", Path(__file__).parents[1] / "bench" / "sqlite_writers.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(clients=20, seconds=5)
    assert result["requests"] > 100
    assert result["status_5xx"] == 0 and result["client_errors"] == 0 and result["database_is_locked"] == 0
    assert result["ok_200"] == result["requests"]
    # Every answered read wrote its audit row (plus one per login page visit at most).
    assert result["audit_rows_written"] >= result["ok_200"]
