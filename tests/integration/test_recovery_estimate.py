"""The personal recovery timeline shows as a model estimate with its caveat, after dosing only.

Expected times are computed here straight from the core (same inputs, same seed) and laid out in the
patient's zone, so the tests check the app's glue: inputs, zones, wording and where it appears.
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from ketacare.core.pk.timeline import CAVEAT_BASIS, personal_timeline
from ketacare.treatments import selectors
from ketacare.treatments.models import DoseAdministration, TreatmentPlan, TreatmentSession
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# 10:00-10:40 Berlin infusion (factory: dose ends 30 min before `now`, IV runs 40 min).
FIXED_NOW = dt.datetime(2025, 3, 4, 11, 10, tzinfo=BERLIN)
PATIENT_WORDING = (
    "A computer model based on published averages estimates",
    "Your own experience may differ. This is not a promise and not advice about your dose.",
)


def _quarter_crossing(route: str, dose_mg: float, age: int, infusion_min: float | None, sex: str = "unknown"):
    timeline = personal_timeline(
        route=route,
        dose_mg=dose_mg,
        weight_kg=70.0,
        age_years=age,
        sex=sex,
        infusion_min=infusion_min,
        population_size=selectors.RECOVERY_POPULATION_SIZE,
        seed=selectors.RECOVERY_SEED,
    )
    return min((t for t in timeline.thresholds if t.reached), key=lambda t: t.fraction_of_c50)


def _clock(start: dt.datetime, minutes: float, zone: zoneinfo.ZoneInfo) -> str:
    """The crossing as a clock time in `zone`, to the nearest 5 minutes ("around 11:40")."""
    at, five, epoch = (
        start + dt.timedelta(minutes=minutes),
        dt.timedelta(minutes=5),
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    )
    return f"{(epoch + round((at - epoch) / five) * five).astimezone(zone):%H:%M}"


def _run_sheet(client_for, persona: str, session) -> str:
    response = client_for(persona).get(
        reverse("treatments:run_sheet", kwargs={"session_id": session.public_id})
    )
    assert response.status_code == 200
    return response.content.decode()


def _pdf_text(response) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())


def test_after_dosing_the_run_sheet_shows_the_estimate_with_its_caveat(personas, client_for):
    session = make_session(personas.a1, route="iv", state="observing", now=FIXED_NOW)
    body = _run_sheet(client_for, "clinician_a", session)
    assert 'data-testid="recovery-estimate"' in body
    assert "Model estimate: not a promise, not a discharge criterion and not dosing advice." in body
    assert escape(CAVEAT_BASIS) in body
    assert body.count("not a promise") == 1  # said once, in the box's own heading
    crossing = _quarter_crossing("iv", 35.0, 44, 40.0)
    start = session.dose_started_at
    assert f"around <strong>{_clock(start, crossing.falls_below_min, NEW_YORK)}</strong>" in body
    assert f"5–95% of {selectors.RECOVERY_POPULATION_SIZE} simulated patients" in body
    assert "Inputs: 35 mg" in body and "44 years" in body and "infusion 40 min" in body


def test_levels_warnings_and_notes_name_their_sources_in_words_not_codes(personas, client_for):
    session = make_session(personas.a1, route="iv", state="observing", now=FIXED_NOW)
    body = _run_sheet(client_for, "clinician_a", session)
    # The levels KetaCare chose say so, instead of the status tag "[Ours]".
    assert escape("half of C50 (KetaCare's own threshold, not a clinical cut-off)") in body
    assert escape("a quarter of C50 (KetaCare's own threshold, not a clinical cut-off)") in body
    assert "C50: half-maximal psychedelic effect (Olofsen 2022)" in body
    # The patient (44) is older than the racemic model's studied 18-40 years: named by the model's title.
    title = "Racemic ketamine IV as S (Fanta 2015 / Otto 2021) plus R (clearance ratio of Persson 2002)"
    assert (
        f"Outside the studied range: age 44 years is outside the 18-40 years studied for the model “{title}”."
        in body
    )
    assert escape("clearance x 0.020/0.024 (KetaCare's own choice).") in body
    assert "unverified (not checked against a source)." in body
    for code in ("racemic_enantiomers", "[Ours]", "[U]", "[C]", "[V]"):
        assert code not in body, code


def test_crossing_times_are_clock_times_in_the_patients_zone_not_the_clinics(personas, client_for):
    patient = personas.a1  # clinic A is in America/New_York
    patient.time_zone = "Europe/Berlin"
    patient.save(update_fields=["time_zone"])
    session = make_session(patient, route="iv", state="observing", now=FIXED_NOW)
    body = _run_sheet(client_for, "clinician_a", session)
    crossing = _quarter_crossing("iv", 35.0, 44, 40.0)
    start = session.dose_started_at
    berlin, new_york = (
        _clock(start, crossing.falls_below_min, BERLIN),
        _clock(start, crossing.falls_below_min, NEW_YORK),
    )
    assert berlin != new_york
    assert f'around <strong>{berlin}</strong> <span class="muted">({new_york} clinic)</span>' in body
    assert "started at 10:00" in body  # the patient's clock, not 04:00 in New York
    assert "Times in Berlin time (the patient's zone), clinic time (New York) in brackets" in body


def test_before_dosing_there_is_no_estimate_only_a_note_that_it_comes_after_dosing(personas, client_for):
    for state in ("checked_in", "dosing"):
        session = make_session(personas.a1, route="iv", state=state)
        body = _run_sheet(client_for, "clinician_a", session)
        assert "Available after dosing." in body, state
        assert escape(CAVEAT_BASIS) not in body and "around <strong>" not in body, state
        assert selectors.session_recovery_estimate(session) is None
    scheduled = make_session(personas.a1, route="iv", state="scheduled")
    assert 'data-testid="recovery-estimate"' not in _run_sheet(client_for, "clinician_a", scheduled)


def test_an_oral_session_says_plainly_that_no_model_exists_for_the_route(personas, client_for):
    session = make_session(personas.a1, route="iv", state="observing")
    session.route, session.protocol_id = "oral", "oral_ketamine"
    session.save(update_fields=["route", "protocol_id"])
    DoseAdministration.objects.filter(session=session).update(route="oral")
    body = _run_sheet(client_for, "clinician_a", session)
    reason = personal_timeline(route="oral", dose_mg=35, weight_kg=70, age_years=44).no_model_reason
    assert "No model exists for this route (Oral ketamine)" in body and escape(reason) in body
    assert "around <strong>" not in body
    page = client_for("clinician_a").get(
        reverse("treatments:instructions", kwargs={"session_id": session.public_id})
    )
    assert "No computer model exists for this kind of treatment" in page.content.decode()


def test_doses_entered_in_error_are_left_out_and_sex_comes_from_the_intake(personas, client_for):
    from ketacare.intake.models import Intake

    Intake.objects.create(
        clinic=personas.a1.clinic,
        patient=personas.a1,
        created_by=personas.clinician_a,
        recorded_at=FIXED_NOW - dt.timedelta(days=30),
        sex="female",
    )
    session = make_session(personas.a1, route="esketamine_in", state="observing", now=FIXED_NOW)
    second = session.doses.order_by("started_at").last()
    second.entered_in_error = True
    second.save(update_fields=["entered_in_error"])
    estimate = selectors.session_recovery_estimate(session)
    assert estimate is not None and estimate.available
    assert (estimate.dose_mg, estimate.sex, estimate.infusion_min) == (28.0, "female", None)
    body = _run_sheet(client_for, "clinician_a", session)
    assert "Inputs: 28 mg" in body and "sex female" in body
    crossing = _quarter_crossing("esketamine_in", 28.0, 44, None, sex="female")
    assert (
        f"around <strong>{_clock(session.dose_started_at, crossing.falls_below_min, NEW_YORK)}</strong>"
        in body
    )


def test_the_weight_falls_back_to_the_plan_and_a_missing_weight_is_said_plainly(personas):
    session = make_session(personas.a1, route="iv", state="observing")
    session.weight_kg = None
    session.save(update_fields=["weight_kg"])
    fallback = selectors.session_recovery_estimate(session)
    assert fallback is not None and fallback.available
    # The plan service requires a weight for an IV plan; clearing it reaches the case where none is known.
    TreatmentPlan.objects.filter(pk=session.plan_id).update(weight_kg=None)
    session = TreatmentSession.objects.get(pk=session.pk)
    estimate = selectors.session_recovery_estimate(session)
    assert estimate is not None and not estimate.available
    assert estimate.missing_input == "no weight recorded for this session"


def test_the_discharge_pdf_carries_the_estimate_and_its_caveat_in_the_patients_words(personas, client_for):
    session = make_session(personas.b1, route="iv", state="discharged", now=FIXED_NOW)
    response = client_for("clinician_b").get(
        reverse("treatments:instructions_pdf", kwargs={"session_id": session.public_id})
    )
    assert response.status_code == 200
    text = _pdf_text(response)
    for sentence in PATIENT_WORDING:
        assert sentence in text
    # The core's caveat in the patient's words: no clinician wording on the patient's sheet.
    assert "It does not decide when you can go home: the clinic's checks and your nurse's check" in text
    assert "the clinician's assessment of the patient" not in text
    crossing = _quarter_crossing("iv", 35.0, 44, 40.0)
    assert f"low level around {_clock(session.dose_started_at, crossing.falls_below_min, BERLIN)}" in text
    low = _clock(session.dose_started_at, crossing.band_p05_min, BERLIN)
    high = _clock(session.dose_started_at, crossing.band_p95_min, BERLIN)
    assert f"between {low} and {high}" in text
    assert "The safety rules above still apply" in text


def test_the_instructions_page_has_no_estimate_before_dosing(personas, client_for):
    session = make_session(personas.a1, route="iv", state="checked_in")
    page = client_for("clinician_a").get(
        reverse("treatments:instructions", kwargs={"session_id": session.public_id})
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="recovery-estimate"' not in body and PATIENT_WORDING[0] not in body


def test_the_estimate_is_computed_once_per_session_inputs_and_reused(personas):
    session = make_session(personas.a1, route="esketamine_in", state="observing")
    selectors._cached_timeline.cache_clear()
    first = selectors.session_recovery_estimate(session)
    second = selectors.session_recovery_estimate(session)
    assert first == second
    info = selectors._cached_timeline.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_the_live_panel_does_not_recompute_the_estimate(personas, client_for):
    session = make_session(personas.a1, route="iv", state="observing")
    selectors._cached_timeline.cache_clear()
    url = reverse("treatments:run_sheet", kwargs={"session_id": session.public_id}) + "?panel=live"
    body = client_for("clinician_a").get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "recovery-estimate" not in body
    assert selectors._cached_timeline.cache_info().misses == 0
