"""plan_sessions: the schedule of each protocol, doses by session, the review point, input errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ketacare.core.course import plan_sessions

NY = ZoneInfo("America/New_York")
MON, TUE, WED, THU, FRI, SAT = 0, 1, 2, 3, 4, 5


def at(year, month, day, hour=9, minute=0, zone=NY):
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def esketamine(age_years=45, **kwargs):
    return plan_sessions(
        "esketamine_trd", start=at(2026, 3, 2), tz="America/New_York", age_years=age_years, **kwargs
    )


def test_esketamine_induction_is_two_sessions_a_week_for_weeks_1_to_4():
    plan = esketamine()
    induction = [s for s in plan.sessions if s.phase == "induction"]
    assert len(induction) == 8
    for week in (1, 2, 3, 4):
        assert sum(1 for s in induction if s.week == week) == 2


def test_esketamine_is_weekly_in_weeks_5_to_8():
    maintenance = [s for s in esketamine().sessions if s.phase == "maintenance"]
    assert [s.week for s in maintenance] == [5, 6, 7, 8]
    gaps = {
        (b.starts_at.date() - a.starts_at.date()).days
        for a, b in zip(maintenance, maintenance[1:], strict=False)
    }
    assert gaps == {7}


@pytest.mark.parametrize("interval_weeks", [1, 2])
def test_esketamine_from_week_9_is_weekly_or_every_two_weeks(interval_weeks):
    plan = esketamine(maintenance_sessions=3, maintenance_interval_weeks=interval_weeks)
    later = plan.sessions[12:]
    assert len(later) == 3
    assert all(s.week >= 9 and s.phase == "maintenance" for s in later)
    days = [s.starts_at.date() for s in plan.sessions[11:]]
    assert {(b - a).days for a, b in zip(days, days[1:], strict=False)} == {7 * interval_weeks}


def test_esketamine_from_week_9_rejects_a_three_week_interval():
    with pytest.raises(
        ValueError,
        match="maintenance_interval_weeks 3 is not allowed for protocol 'esketamine_trd'; expected one of: 1, 2",
    ):
        esketamine(maintenance_sessions=2, maintenance_interval_weeks=3)


def test_maintenance_sessions_need_an_interval():
    with pytest.raises(ValueError, match="maintenance_interval_weeks None is not allowed"):
        esketamine(maintenance_sessions=2)


def test_an_interval_without_maintenance_sessions_is_rejected():
    with pytest.raises(ValueError, match="maintenance_interval_weeks given without maintenance_sessions"):
        esketamine(maintenance_interval_weeks=1)


def test_esketamine_day_1_dose_is_56_mg_for_an_adult_under_65():
    first, second = esketamine(age_years=64).sessions[:2]
    assert first.dose_mg == 56
    assert "2 devices" in first.note and "5 min between devices" in first.note
    assert second.dose_mg is None
    assert second.dose_rule.startswith("56 mg or 84 mg")


def test_esketamine_84_mg_is_never_the_first_dose_at_any_age():
    for age in (18, 30, 64, 65, 80):
        assert esketamine(age_years=age).sessions[0].dose_mg != 84


def test_esketamine_day_1_dose_is_28_mg_at_65_or_over_with_a_label_note():
    first, second = esketamine(age_years=65).sessions[:2]
    assert first.dose_mg == 28
    assert "check the US label" in first.note
    assert "1 device." in first.note
    # Doses change in 28 mg steps [MIMS-HK] and 84 mg only after 56 mg [HCP-Dose3]: after a 28 mg start,
    # session 2 offers 28 or 56 mg. (It offered "28 mg or 56 mg or 84 mg" before the safety-net issue.)
    assert second.dose_rule.startswith("28 mg or 56 mg (")
    assert "84 mg only after 56 mg" in second.dose_rule


def test_esketamine_needs_the_patients_age():
    with pytest.raises(ValueError, match="age_years is required for protocol 'esketamine_trd'"):
        plan_sessions("esketamine_trd", start=at(2026, 3, 2), tz="America/New_York")


def test_esketamine_is_for_adults_only():
    with pytest.raises(ValueError, match="age_years 17 is below 18"):
        esketamine(age_years=17)


def test_an_impossible_age_is_rejected_with_its_range():
    with pytest.raises(ValueError, match="age_years 200 is out of range; expected a whole number 0-130"):
        esketamine(age_years=200)


def test_esketamine_does_not_take_a_weight_based_dose():
    with pytest.raises(ValueError, match="fixed doses in mg; mg_per_kg and weight_kg do not apply"):
        esketamine(weight_kg=70)


def test_the_review_point_is_after_the_last_induction_session_and_before_the_next():
    plan = esketamine()
    assert plan.review.after_session == 8
    assert plan.review.not_before == plan.sessions[7].starts_at
    assert plan.review.due_before == plan.sessions[8].starts_at
    assert "HCP-Dose2" in plan.review.sources and plan.review.evidence == "label"


def test_iv_three_per_week_is_six_infusions_within_twelve_days_on_mon_wed_fri():
    plan = plan_sessions("iv_ketamine", start=at(2026, 3, 2), tz="America/New_York", weight_kg=70)
    assert [s.number for s in plan.sessions] == [1, 2, 3, 4, 5, 6]
    assert [s.starts_at.weekday() for s in plan.sessions] == [MON, WED, FRI] * 2
    assert (plan.sessions[-1].starts_at.date() - plan.sessions[0].starts_at.date()).days == 11
    assert all(s.phase == "induction" for s in plan.sessions)
    assert plan.review.after_session == 6 and plan.review.due_before is None


def test_iv_dose_for_70_kg_is_35_mg_over_40_minutes_at_every_session():
    plan = plan_sessions("iv_ketamine", start=at(2026, 3, 2), tz="America/New_York", weight_kg=70)
    assert {s.dose_mg for s in plan.sessions} == {35.0}
    assert plan.sessions[0].dose_rule == "0.5 mg/kg over 40 min"


def test_iv_without_weight_gives_the_rule_but_no_amount():
    plan = plan_sessions("iv_ketamine", start=at(2026, 3, 2), tz="America/New_York")
    assert plan.sessions[0].dose_mg is None and plan.sessions[0].dose_rule == "0.5 mg/kg over 40 min"


def test_iv_two_per_week_for_three_weeks_is_six_infusions():
    plan = plan_sessions(
        "iv_ketamine", start=at(2026, 3, 2), tz="America/New_York", preset="2_per_week_3_weeks"
    )
    assert len(plan.sessions) == 6
    assert [s.week for s in plan.sessions] == [1, 1, 2, 2, 3, 3]
    assert [s.starts_at.weekday() for s in plan.sessions] == [MON, THU] * 3


def test_without_weekdays_session_1_is_on_the_start_day_with_the_presets_spacing():
    plan = plan_sessions("iv_ketamine", start=at(2026, 3, 3), tz="America/New_York")  # a Tuesday
    assert plan.sessions[0].starts_at == at(2026, 3, 3)
    assert [s.starts_at.weekday() for s in plan.sessions] == [TUE, THU, SAT] * 2


def test_with_weekdays_the_first_session_moves_to_the_next_chosen_weekday():
    plan = plan_sessions(
        "iv_ketamine", start=at(2026, 3, 3), tz="America/New_York", weekdays=[MON, WED, FRI]
    )  # start on a Tuesday
    assert plan.sessions[0].starts_at == at(2026, 3, 4)
    assert [s.starts_at.weekday() for s in plan.sessions] == [WED, FRI, MON] * 2


def test_weekdays_may_be_chosen_by_the_clinic():
    plan = plan_sessions("iv_ketamine", start=at(2026, 3, 2), tz="America/New_York", weekdays=[TUE, THU, MON])
    assert [s.starts_at.weekday() for s in plan.sessions] == [MON, TUE, THU] * 2


def test_the_number_of_weekdays_must_match_the_preset():
    with pytest.raises(ValueError, match="preset '3_per_week_2_weeks' has 3 sessions a week but 2 weekday"):
        plan_sessions("iv_ketamine", start=at(2026, 3, 2), tz="America/New_York", weekdays=[MON, THU])


def test_a_weekday_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="weekday 7 is out of range; expected 0-6"):
        plan_sessions("iv_ketamine", start=at(2026, 3, 2), tz="America/New_York", weekdays=[MON, WED, 7])


def test_a_custom_series_takes_the_clinics_weekdays_and_count():
    plan = plan_sessions(
        "iv_ketamine",
        start=at(2026, 3, 2),
        tz="America/New_York",
        preset="custom",
        weekdays=[TUE, FRI],
        session_count=5,
    )
    assert [s.starts_at.date() for s in plan.sessions] == [
        date(2026, 3, 3),
        date(2026, 3, 6),
        date(2026, 3, 10),
        date(2026, 3, 13),
        date(2026, 3, 17),
    ]
    assert plan.review.after_session == 5


def test_a_custom_series_is_limited_to_twelve_sessions():
    with pytest.raises(ValueError, match="session_count 13 is out of range; expected a whole number 1-12"):
        plan_sessions(
            "iv_ketamine",
            start=at(2026, 3, 2),
            tz="America/New_York",
            preset="custom",
            weekdays=[MON],
            session_count=13,
        )


def test_a_custom_series_needs_weekdays_and_a_count():
    with pytest.raises(ValueError, match="preset 'custom' needs weekdays"):
        plan_sessions(
            "iv_ketamine", start=at(2026, 3, 2), tz="America/New_York", preset="custom", session_count=4
        )
    with pytest.raises(ValueError, match="preset 'custom' needs session_count \\(1-12\\)"):
        plan_sessions(
            "iv_ketamine", start=at(2026, 3, 2), tz="America/New_York", preset="custom", weekdays=[MON]
        )


def test_a_fixed_preset_rejects_a_session_count():
    with pytest.raises(ValueError, match="session_count is only for a custom preset"):
        plan_sessions("iv_ketamine", start=at(2026, 3, 2), tz="America/New_York", session_count=4)


def test_iv_maintenance_follows_the_series_at_the_chosen_interval_after_review():
    plan = plan_sessions(
        "iv_ketamine",
        start=at(2026, 3, 2),
        tz="America/New_York",
        maintenance_sessions=2,
        maintenance_interval_weeks=2,
    )
    maintenance = plan.sessions[6:]
    assert [s.phase for s in maintenance] == ["maintenance", "maintenance"]
    assert [s.starts_at.date() for s in maintenance] == [date(2026, 3, 23), date(2026, 4, 6)]
    assert "end-of-induction review" in maintenance[0].note
    assert plan.review.due_before == maintenance[0].starts_at
    assert any("clinic" in note.lower() or "individual" in note.lower() for note in plan.notes)


def test_oral_ketamine_is_planned_with_an_experimental_note_and_no_maintenance():
    plan = plan_sessions(
        "oral_ketamine", start=at(2026, 3, 2), tz="America/New_York", mg_per_kg=1.0, weight_kg=80
    )
    assert len(plan.sessions) == 12
    assert plan.sessions[0].dose_mg == 80.0
    assert plan.notes[0].startswith("Experimental:")
    with pytest.raises(ValueError, match="protocol 'oral_ketamine' has no maintenance schedule"):
        plan_sessions("oral_ketamine", start=at(2026, 3, 2), tz="America/New_York", maintenance_sessions=1)


def test_sublingual_ketamine_has_a_fixed_10_mg_dose():
    plan = plan_sessions(
        "sublingual_ketamine", start=at(2026, 3, 2), tz="America/New_York", weekdays=[MON], session_count=3
    )
    assert [s.dose_mg for s in plan.sessions] == [10.0, 10.0, 10.0]
    assert plan.notes[0].startswith("Experimental:")


def test_a_naive_start_is_rejected():
    with pytest.raises(
        ValueError, match="start 2026-03-02T09:00:00 is naive; give a timezone-aware datetime"
    ):
        plan_sessions("iv_ketamine", start=datetime(2026, 3, 2, 9, 0), tz="America/New_York")  # noqa: DTZ001


def test_an_unknown_time_zone_is_rejected():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        plan_sessions("iv_ketamine", start=at(2026, 3, 2), tz="Mars/Olympus")


def test_an_unknown_preset_names_the_allowed_ones():
    with pytest.raises(
        ValueError,
        match="unknown preset 'weekly' for protocol 'iv_ketamine'; expected one of: 3_per_week_2_weeks",
    ):
        plan_sessions("iv_ketamine", start=at(2026, 3, 2), tz="America/New_York", preset="weekly")


def test_a_start_given_in_utc_is_planned_at_its_local_time():
    start = at(2026, 3, 2, 14, 0, zone=UTC)  # 09:00 in New York (EST, UTC-5)
    plan = plan_sessions("iv_ketamine", start=start, tz="America/New_York")
    assert plan.sessions[0].starts_at.hour == 9
    assert plan.sessions[0].starts_at.tzinfo == NY
    assert plan.sessions[0].starts_at - start == timedelta(0)
