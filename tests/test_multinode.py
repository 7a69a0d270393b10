"""Short form of the multi-node run (issue 18): two web nodes and two workers on one PostgreSQL behind
nginx, a web node and a worker SIGKILLed mid-run. The full run is in `make bench` (bench/multinode.py).

It runs in the PostgreSQL pass of the suite (it makes its own database there); with CI=true a missing
nginx or PostgreSQL fails instead of skipping (`make ensure-nginx` installs nginx)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

# `backend`: it starts its own nodes on the DATABASE_URL backend, so it stays in the PostgreSQL pass.
pytestmark = [pytest.mark.slow, pytest.mark.backend]


def _harness():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "multinode", Path(__file__).parents[1] / "bench" / "multinode.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nothing_is_lost_or_doubled_across_two_web_nodes_and_two_workers_with_kills() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("runs in the PostgreSQL pass (make test-postgres)")
    multinode = _harness()
    reason = multinode.available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    result = multinode.run(clients=20, seconds=30)
    assert len(result["events"]) == 4  # a web node and a worker killed and restarted
    assert result["acknowledged"] > 50 and result["acknowledged_red_flags"] > 0
    assert result["acknowledged_missing"] == 0
    assert result["duplicated_keys"] == 0
    assert result["red_flags_not_alerted_exactly_once"] == 0
    assert result["reminders_due"] > 0 and result["reminders_left_unsent"] == 0
    assert (
        result["reminders_marked_sent"]
        == result["reminder_outbox_rows"]
        == result["reminder_messages_delivered"]
    )
    assert result["patients_with_reminder_count_mismatch"] == 0
    assert result["emergencies_escalated"] == result["emergencies_seeded"] > 0
    assert result["emergencies_not_mailed_exactly_once"] == 0
    assert result["outbox_unsent"] == 0
