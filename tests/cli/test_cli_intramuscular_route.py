"""The safe-pathway commands name and take the IM route like the other four (docs/cli.md)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("command", ["plan-gate", "readiness", "discharge-check"])
def test_route_help_lists_im(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0, result.stderr
    words = " ".join(result.stdout.replace("│", " ").split())
    assert "iv, esketamine_in, oral, sublingual or im." in words


def test_discharge_check_holds_an_im_patient_to_its_60_minute_default(run_json):
    # IM observation: at least 30 min, default 60, clinic practice [Chilukuri2014] (protocols.toml).
    common = (
        "discharge-check", "--route", "im", "--age", "45", "--bp", "124/78", "--hr", "72",
        "--spo2", "98", "--baseline-bp", "124/78", "--moaas", "5", "--dissociation", "resolved",
        "--ride", "yes", "--instructions", "yes",
    )  # fmt: skip
    early = run_json(*common, "--minutes-since-dose", "45")
    assert early["ready"] is False and early["required_observation_minutes"] == 60
    assert [c["code"] for c in early["unmet"]] == ["observation_time"]
    assert run_json(*common, "--minutes-since-dose", "60")["ready"] is True


def test_plan_gate_for_im_needs_a_consent_that_covers_im(run_json):
    asked = ("plan-gate", "--route", "im", "--screening", "yes", "--decision", "eligible")
    assert [m["code"] for m in run_json(*asked, "--consent-route", "iv")["missing"]] == ["consent_missing"]
    assert run_json(*asked, "--consent-route", "im")["ok"] is True
