"""Label dosing completely, the IV frequency limit and the IM route (decision 0012; findings 5, 6, 8).

Each test names the issue finding and the sources behind the rule (ids in sources.toml).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ketacare.core import monitoring
from ketacare.core.course import next_dose_options, plan_sessions
from ketacare.core.protocols import get_protocol, get_route

NY = ZoneInfo("America/New_York")
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


def start() -> datetime:
    return datetime(2026, 3, 2, 9, 0, tzinfo=NY)


# --- Finding 5: esketamine dose steps, Japanese ancestry, MDSI, liver impairment ------------------------


def test_finding_5_at_72_session_2_offers_28_or_56_mg_never_84() -> None:
    # 28 mg steps [MIMS-HK]; 84 mg only after an initial 56 mg [HCP-Dose3]. Session 2 used to offer
    # "28 or 56 or 84 mg".
    plan = plan_sessions("esketamine_trd", start=start(), tz="America/New_York", age_years=72)
    first, second, third = plan.sessions[:3]
    assert first.dose_mg == 28
    assert second.dose_rule.startswith("28 mg or 56 mg (prescriber decides")
    assert "84 mg or" not in second.dose_rule and not second.dose_rule.startswith("28 mg or 56 mg or 84")
    assert third.dose_rule.startswith("28 mg or 56 mg or 84 mg (")


@pytest.mark.parametrize(
    ("age", "previous", "allowed"),
    [
        (72, [], (28,)),
        (72, [28], (28, 56)),
        (72, [28, 56], (28, 56, 84)),
        (72, [28, 56, 84, 56], (28, 56, 84)),
        (45, [], (56,)),
        (45, [56], (56, 84)),
        (45, [56, 84], (56, 84)),
    ],
)
def test_finding_5_next_dose_options_follow_the_label_steps(
    age: int, previous: list[int], allowed: tuple[int, ...]
) -> None:
    # Day 1 56 mg under 65, 28 mg at 65 or over [MIMS-HK] [HCP-Dose]; 28 mg steps; 84 mg only after 56 mg.
    options = next_dose_options("esketamine_trd", age_years=age, previous_doses_mg=previous)
    assert options.allowed_mg == allowed
    assert options.first_dose is (not previous)
    assert {"MIMS-HK"} <= set(options.sources) or "HCP-Dose3" in options.sources


def test_finding_5_a_japanese_ancestry_start_is_28_mg_marked_clinic_practice() -> None:
    # No source KetaCare holds gives the Japanese-ancestry start: 28 mg (the lowest step, as for 65 and
    # over [MIMS-HK]) is a clinic-practice default the plan flags for the prescriber.
    plan = plan_sessions(
        "esketamine_trd", start=start(), tz="America/New_York", age_years=40, japanese_ancestry=True
    )
    assert plan.sessions[0].dose_mg == 28
    (finding,) = plan.findings
    assert finding.code == "start_dose_unverified" and finding.kind == "note"
    assert "clinic-practice" in finding.sources
    options = next_dose_options("esketamine_trd", age_years=40, japanese_ancestry=True)
    assert options.allowed_mg == (28,) and options.evidence == "practice"
    assert next_dose_options(
        "esketamine_trd", age_years=40, previous_doses_mg=[28], japanese_ancestry=True
    ).allowed_mg == (28, 56)


def test_finding_5_the_mdsi_regimen_is_84_mg_twice_weekly_for_4_weeks_with_its_own_review() -> None:
    # MDSI: 84 mg twice a week for 4 weeks; may be reduced to 56 mg; beyond 4 weeks not evaluated [HCP-MDSI].
    plan = plan_sessions("esketamine_mdsi", start=start(), tz="America/New_York", age_years=40)
    assert len(plan.sessions) == 8
    assert {s.week for s in plan.sessions} == {1, 2, 3, 4}
    assert plan.sessions[0].dose_mg == 84 and "3 devices" in plan.sessions[0].note
    assert plan.sessions[1].dose_rule.startswith("56 mg or 84 mg (")
    assert plan.review.after_session == 8 and "4 weeks" in plan.review.note
    assert "HCP-MDSI" in plan.review.sources
    assert plan.findings == ()
    assert next_dose_options("esketamine_mdsi", age_years=40, previous_doses_mg=[84]).allowed_mg == (56, 84)


def test_finding_5_mdsi_at_65_or_over_has_no_label_dose_and_needs_a_reason() -> None:
    # The Hong Kong label gives the MDSI regimen for adults under 65 [MIMS-HK].
    plan = plan_sessions("esketamine_mdsi", start=start(), tz="America/New_York", age_years=70)
    assert plan.sessions[0].dose_mg is None
    assert [f.code for f in plan.unresolved_findings] == ["no_label_dose_for_age"]
    reasoned = plan_sessions(
        "esketamine_mdsi",
        start=start(),
        tz="America/New_York",
        age_years=70,
        prescriber_reasons={"no_label_dose_for_age": "Inpatient, discussed with the team."},
    )
    assert reasoned.unresolved_findings == ()
    assert reasoned.findings[0].reason == "Inpatient, discussed with the team."


def test_finding_5_moderate_liver_impairment_asks_for_longer_monitoring_and_severe_needs_a_reason() -> None:
    # Moderate: may need monitoring for adverse reactions for longer; severe: not recommended [LabelText-8.6].
    moderate = plan_sessions(
        "esketamine_trd", start=start(), tz="America/New_York", age_years=45, hepatic_impairment="moderate"
    )
    (note,) = moderate.findings
    assert (note.code, note.kind) == ("hepatic_moderate_longer_monitoring", "note")
    assert "LabelText-8.6" in note.sources and moderate.unresolved_findings == ()
    severe = plan_sessions(
        "esketamine_trd", start=start(), tz="America/New_York", age_years=45, hepatic_impairment="severe"
    )
    assert [f.code for f in severe.unresolved_findings] == ["hepatic_severe_not_recommended"]
    options = next_dose_options("esketamine_trd", age_years=45, hepatic_impairment="severe")
    assert [f.code for f in options.findings] == ["hepatic_severe_not_recommended"]


def test_finding_5_bad_dose_step_input_names_the_value_and_the_allowed_range() -> None:
    with pytest.raises(ValueError, match=r"previous dose 50 mg is not a label dose; allowed: 28, 56, 84"):
        next_dose_options("esketamine_trd", age_years=45, previous_doses_mg=[50])
    with pytest.raises(
        ValueError, match=r"hepatic_impairment 'bad' is not one of: none, mild, moderate, severe"
    ):
        next_dose_options("esketamine_trd", age_years=45, hepatic_impairment="bad")
    with pytest.raises(ValueError, match="has no label dose steps"):
        next_dose_options("iv_ketamine", age_years=45)
    with pytest.raises(ValueError, match=r"prescriber reason for unknown finding 'typo'"):
        plan_sessions(
            "esketamine_trd",
            start=start(),
            tz="America/New_York",
            age_years=45,
            prescriber_reasons={"typo": "x"},
        )


# --- Finding 6: IV frequency limit ----------------------------------------------------------------------


def test_finding_6_twelve_consecutive_daily_infusions_need_a_prescriber_reason() -> None:
    # The most frequent IV schedule studied is three a week [Murrough2013b] [Phillips2019] [Ekstrand2022].
    # A custom plan of 12 daily infusions used to be accepted silently.
    plan = plan_sessions(
        "iv_ketamine",
        start=start(),
        tz="America/New_York",
        preset="custom",
        weekdays=EVERY_DAY,
        session_count=12,
    )
    (finding,) = plan.unresolved_findings
    assert finding.code == "frequency_above_studied" and finding.kind == "requires_reason"
    assert finding.sessions == tuple(range(1, 13))
    assert {"Murrough2013b", "Ekstrand2022"} <= set(finding.sources) and finding.evidence == "rct"
    assert "7 sessions within 7 days" in finding.message
    reasoned = plan_sessions(
        "iv_ketamine",
        start=start(),
        tz="America/New_York",
        preset="custom",
        weekdays=EVERY_DAY,
        session_count=12,
        prescriber_reasons={"frequency_above_studied": "Inpatient ECT-alternative protocol."},
    )
    assert reasoned.unresolved_findings == () and reasoned.findings[0].reason


def test_finding_6_three_a_week_is_within_the_studied_frequency() -> None:
    for kwargs in (
        {"preset": "3_per_week_2_weeks"},
        {"preset": "custom", "weekdays": [0, 2, 4], "session_count": 12},
        {"preset": "2_per_week_3_weeks"},
    ):
        assert plan_sessions("iv_ketamine", start=start(), tz="America/New_York", **kwargs).findings == ()


def test_finding_6_four_weekdays_a_week_is_beyond_it() -> None:
    plan = plan_sessions(
        "iv_ketamine",
        start=start(),
        tz="America/New_York",
        preset="custom",
        weekdays=[0, 1, 2, 3],
        session_count=4,
    )
    assert [f.code for f in plan.unresolved_findings] == ["frequency_above_studied"]


# --- Finding 8: the IM route has a protocol, an observation time and monitoring rules ---------------------


def test_finding_8_im_has_an_observation_time_where_it_used_to_raise() -> None:
    # No published IM observation time: the IV default (30 min floor, 60 default) as clinic practice;
    # adverse effects lasted under an hour in the randomised IM study [Chilukuri2014].
    assert monitoring.observation_minutes("im") == 60
    rule = get_route("im").observation
    assert rule.min_minutes == 30 and rule.overridable and "clinic-practice" in rule.cited.sources
    with pytest.raises(ValueError, match="below the 30-minute minimum"):
        monitoring.observation_minutes("im", 20)


def test_finding_8_im_has_pre_dose_holds_vital_flags_and_checkpoints() -> None:
    held = monitoring.check_pre_dose("im", 45, 150, 95)
    assert held.hold and {r.code for r in held.reasons} == {"systolic_above_guide", "diastolic_above_guide"}
    flags = monitoring.flag_vitals("im", None, monitoring.VitalSigns(185, 100, 80, 97))
    assert flags[0].code == "systolic_severe" and flags[0].level == "critical"
    dose = start()
    checkpoints = monitoring.vital_checkpoints("im", dose, dose + timedelta(minutes=1))
    codes = [c.code for c in checkpoints]
    assert codes[0] == "pre_dose" and codes[-1] == "before_discharge"


def test_finding_8_the_im_protocol_doses_by_weight_within_the_studied_range() -> None:
    # 0.5 mg/kg IM [Chilukuri2014]; doses studied 0.1-0.5 mg/kg [Loo2016].
    protocol = get_protocol("im_ketamine")
    assert protocol.route == "im" and protocol.experimental
    assert protocol.dose.standard_mg_per_kg == 0.5
    assert (protocol.dose_bounds.min_mg_per_kg, protocol.dose_bounds.max_mg_per_kg) == (0.1, 0.5)
    plan = plan_sessions(
        "im_ketamine", start=start(), tz="America/New_York", weekdays=[0], session_count=4, weight_kg=70
    )
    assert [s.dose_mg for s in plan.sessions] == [35.0] * 4
    assert plan.sessions[0].dose_rule == "0.5 mg/kg"
    with pytest.raises(
        ValueError, match=r"mg_per_kg 0.8 is out of range for protocol 'im_ketamine'; expected 0.1-0.5"
    ):
        plan_sessions(
            "im_ketamine",
            start=start(),
            tz="America/New_York",
            weekdays=[0],
            session_count=1,
            weight_kg=70,
            mg_per_kg=0.8,
        )
