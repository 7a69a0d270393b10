"""`ketacare plan-gate`, `readiness` and `discharge-check`: the core's safe-pathway answers (docs/cli.md)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ketacare import cli


@pytest.fixture(scope="module")
def run():
    if not any(info.name == "plan" for info in cli.app.registered_commands):
        cli._register_subcommands()
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, list(args))


def _json(run, *args):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_readiness_holds_an_esketamine_patient_with_high_bp_not_fasting(run):
    data = _json(
        run, "readiness", "--route", "esketamine_in", "--age", "45", "--bp", "165/95",
        "--baseline-bp", "130/80", "--ride", "yes", "--fasting", "no",
    )  # fmt: skip
    assert list(data) == ["route", "go", "severity", "holds", "baseline_bp"]
    assert data["go"] is False and data["severity"] == "urgent"
    codes = [h["code"] for h in data["holds"]]
    assert codes == ["pre_dose_systolic_above_guide", "pre_dose_diastolic_above_guide", "fasting"]


def test_readiness_is_a_go_when_every_item_holds(run):
    data = _json(run, "readiness", "--route", "iv", "--age", "50", "--bp", "124/78", "--ride", "yes")
    assert data["go"] is True and data["holds"] == [] and data["severity"] is None


def test_readiness_weighs_what_happened_since_the_last_session(run):
    data = _json(
        run, "readiness", "--route", "iv", "--age", "50", "--bp", "124/78", "--ride", "yes",
        "--red-flag", "urinary_symptoms", "--red-flag", "chest_pain", "--cssrs", "high",
        "--hours-since-last-dose", "5",
    )  # fmt: skip
    assert [h["code"] for h in data["holds"]] == ["red_flags", "cssrs_high", "urinary_symptoms", "interval"]


def test_discharge_check_keeps_a_patient_at_165_over_95_after_125_min(run):
    data = _json(
        run, "discharge-check", "--route", "esketamine_in", "--age", "45", "--minutes-since-dose", "125",
        "--bp", "165/95", "--spo2", "98", "--baseline-bp", "130/80", "--moaas", "5",
        "--dissociation", "resolved", "--ride", "yes", "--instructions", "yes",
    )  # fmt: skip
    assert list(data) == ["route", "ready", "required_observation_minutes", "unmet"]
    assert data["ready"] is False and [c["code"] for c in data["unmet"]] == ["bp_above_hold"]


def test_plan_gate_names_every_missing_step(run):
    data = _json(run, "plan-gate", "--route", "iv")
    assert [m["code"] for m in data["missing"]] == [
        "screening_missing",
        "decision_missing",
        "consent_missing",
    ]
    blocked = _json(run, "plan-gate", "--route", "iv", "--screening", "yes", "--decision", "not_eligible")
    assert blocked["blocked"] is True


@pytest.mark.parametrize(
    "args",
    [
        ("readiness", "--route", "iv", "--age", "50", "--bp", "165"),
        ("readiness", "--route", "rectal", "--age", "50"),
        ("readiness", "--route", "iv", "--age", "50", "--ride", "maybe"),
        ("readiness", "--route", "iv"),
        ("discharge-check", "--route", "iv", "--age", "50", "--minutes-since-dose", "-5"),
        ("plan-gate", "--route", "iv", "--decision", "maybe"),
    ],
)
def test_bad_input_exits_2_with_one_line(run, args):
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(
        f"ketacare {args[0]}: error:"
    )
