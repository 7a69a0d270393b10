"""Short form of the kill -9 harness (security.md #10, #12): 40 clients, 15 s, server killed repeatedly.

The full 200-client, 60-second run is part of `make bench` (bench/crash_reconcile.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_every_acknowledged_checkin_survives_server_kills_exactly_once_with_its_alert():
    spec = importlib.util.spec_from_file_location(
        "crash_reconcile", Path(__file__).parents[1] / "bench" / "crash_reconcile.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(clients=40, seconds=15)
    assert result["server_kills"] >= 2
    assert result["acknowledged"] > 50 and result["acknowledged_red_flags"] > 0
    assert result["acknowledged_missing"] == 0
    assert result["duplicated_keys"] == 0
    assert result["red_flags_without_alert"] == 0
    assert result["sqlite_integrity"] == "ok"
