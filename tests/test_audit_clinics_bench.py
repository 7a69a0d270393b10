"""Short form of bench/audit_clinics.py (PostgreSQL): while a request of clinic A holds its transaction
open after writing its audit row, every audited request of clinic B completes; with the single
advisory lock the former audit chain took (emulated by the benchmark's `global_lock` mode), none does.
The full run, with throughput, is in `make bench`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.backend]

BENCH = Path(__file__).parents[1] / "bench" / "audit_clinics.py"


def test_clinic_b_is_not_held_up_by_an_open_request_of_clinic_a(tmp_path: Path) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("runs in the PostgreSQL pass (make test-postgres)")
    out = tmp_path / "audit_clinics.json"
    env = {**os.environ, "KETACARE_BENCH_POSTGRES_URL": url.rsplit("/", 1)[0] + "/postgres"}
    argv = [sys.executable, str(BENCH), "--hold-seconds", "1.5", "--requests", "5"]
    argv += ["--threads", "2", "--seconds", "1", "--output", str(out)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["sealer"]["hold"]["b_finished_while_a_open"] == 5
    assert result["global_lock"]["hold"]["b_finished_while_a_open"] == 0
    assert result["sealer"]["throughput"]["requests"] > 0
