"""vital_checkpoints for the run-sheet and the REMS form deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ketacare.core.monitoring import rems_form_due_by, vital_checkpoints

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def minutes(checkpoints):
    return [(c.code, c.minutes_after_dose_end) for c in checkpoints]


def test_esketamine_bp_is_due_before_dosing_at_40_minutes_and_before_discharge():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=NY)
    end = start + timedelta(minutes=10)  # three devices, 5 min apart
    checkpoints = vital_checkpoints("esketamine_in", start, end)
    assert minutes(checkpoints) == [("pre_dose", -10), ("after_dose", 40), ("before_discharge", 120)]
    assert checkpoints[1].due_at == end + timedelta(minutes=40)


def test_a_longer_clinic_observation_moves_the_discharge_check():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=NY)
    checkpoints = vital_checkpoints("esketamine_in", start, start, clinic_min_observation_min=150)
    assert checkpoints[-1].minutes_after_dose_end == 150


def test_iv_vitals_are_due_every_15_minutes_during_and_after_the_infusion():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=NY)
    checkpoints = vital_checkpoints("iv", start, start + timedelta(minutes=40))
    assert minutes(checkpoints) == [
        ("pre_dose", -40),
        ("during_dose", -25),
        ("during_dose", -10),
        ("end_of_dose", 0),
        ("after_dose", 15),
        ("after_dose", 30),
        ("after_dose", 45),
        ("before_discharge", 60),
    ]


def test_a_clinic_interval_replaces_the_default():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=NY)
    checkpoints = vital_checkpoints("iv", start, start + timedelta(minutes=40), interval_minutes=10)
    assert [c.minutes_after_dose_end for c in checkpoints if c.code == "during_dose"] == [-30, -20, -10]
    assert [c.minutes_after_dose_end for c in checkpoints if c.code == "after_dose"] == [10, 20, 30, 40, 50]


def test_oral_vitals_are_due_every_30_minutes_after_the_dose():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=NY)
    assert minutes(vital_checkpoints("oral", start, start)) == [
        ("pre_dose", 0),
        ("after_dose", 30),
        ("before_discharge", 60),
    ]


def test_checkpoints_are_real_minutes_apart_across_the_fall_back_hour():
    # New York 2026-11-01: 01:00-02:00 happens twice. An infusion from 01:20 EDT.
    start = datetime(2026, 11, 1, 1, 20, tzinfo=NY)
    checkpoints = vital_checkpoints("iv", start, start.astimezone(UTC) + timedelta(minutes=40))
    after = [
        c.due_at.astimezone(UTC)
        for c in checkpoints
        if c.code in ("end_of_dose", "after_dose", "before_discharge")
    ]
    assert {b - a for a, b in zip(after, after[1:], strict=False)} == {timedelta(minutes=15)}
    assert [c.due_at.strftime("%H:%M") for c in checkpoints if c.code == "after_dose"] == [
        "01:15",
        "01:30",
        "01:45",
    ]
    assert all(c.due_at.tzinfo == NY for c in checkpoints)
    assert checkpoints[-1].due_at.utcoffset() == timedelta(hours=-5)  # discharge after the change


def test_dose_end_before_dose_start_is_rejected():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=NY)
    with pytest.raises(ValueError, match="dose_end .* is before dose_start"):
        vital_checkpoints("iv", start, start - timedelta(minutes=1))


def test_naive_dose_times_are_rejected():
    with pytest.raises(ValueError, match="dose_start must be a timezone-aware datetime"):
        vital_checkpoints("iv", datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 2, 9, 40, tzinfo=NY))  # noqa: DTZ001


def test_a_malformed_interval_is_rejected():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=NY)
    with pytest.raises(ValueError, match="interval_minutes 0 is out of range; expected whole minutes 1-120"):
        vital_checkpoints("iv", start, start, interval_minutes=0)


def test_the_rems_form_is_due_within_7_days_of_an_outpatient_session():
    session = datetime(2026, 3, 2, 11, 0, tzinfo=NY)
    assert rems_form_due_by("esketamine_in", session) == datetime(2026, 3, 9, 11, 0, tzinfo=NY)


def test_the_rems_deadline_keeps_local_time_across_a_dst_change():
    session = datetime(2026, 10, 22, 11, 0, tzinfo=BERLIN)
    due = rems_form_due_by("esketamine_in", session)
    assert due == datetime(2026, 10, 29, 11, 0, tzinfo=BERLIN)
    assert due is not None and due.utcoffset() == timedelta(hours=1)


def test_inpatient_sessions_and_other_routes_need_no_rems_form():
    session = datetime(2026, 3, 2, 11, 0, tzinfo=NY)
    assert rems_form_due_by("esketamine_in", session, inpatient=True) is None
    assert rems_form_due_by("iv", session) is None


def test_a_naive_session_time_is_rejected_for_the_rems_deadline():
    with pytest.raises(ValueError, match="session_at must be a timezone-aware datetime"):
        rems_form_due_by("esketamine_in", datetime(2026, 3, 2, 11, 0))  # noqa: DTZ001
