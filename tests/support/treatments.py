"""Treatment sessions in every state for tests, built through the treatments services.

Fixtures obey the rules production does (docs/decisions/0023): the plan is laid out by
`create_treatment_plan`, and each later step (check-in, pre-dose vital signs, dose, end of dosing,
observation, discharge) is recorded by its service at the step's own time: the clock travels there
(time_machine) and the service stamps "now". A gate a plan built without intake's records meets is
passed the way a prescriber passes it in the clinic: a written override (plan gate, dose hold,
discharge criteria) by the patient's primary clinician, a prescriber in the personas.
"""

from __future__ import annotations

import datetime as dt
import html
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from ketacare.lib.errors import ConflictError
from ketacare.treatments import selectors, services
from ketacare.treatments.errors import DischargeRefused
from ketacare.treatments.models import Appointment, TreatmentPlan, TreatmentSession
from ketacare.treatments.selectors.run_sheet import SAFETY_ALERT_CODES
from ketacare.treatments.services._common import set_appointment_status
from ketacare.treatments.services.rems import start_rems_form

PROTOCOL_OF = {"iv": "iv_ketamine", "esketamine_in": "esketamine_trd"}
WEIGHT_KG = 70.0
# IV: 0.5 mg/kg x 70 kg = 35 mg over the protocol's 40 minutes; esketamine: two 28 mg devices 5 minutes apart.
INFUSION_MIN = 40
DEVICE_MG = 28
DEVICE_WAIT_MIN = 5
# The written reasons a prescriber gives for each override the builders need (stored like any other).
PLAN_GATE_REASON = "Test plan: screening, decision and consent are recorded outside this test."
HOLD_REASON = "Test session: the prescriber reviewed the hold and doses as the test's history needs."
DISCHARGE_REASON = "Test session: discharged at the time the test's history needs."
# Why a builder's session did not do the questionnaires due before its dose (a nurse's skip reason).
QUESTIONNAIRE_SKIP_REASON = "Test session: the pre-dose questionnaires are not part of this test."


# 10:00 in New York (clinic A), a Friday: the clinic day has begun and is far from midnight.
FRIDAY_MORNING = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def words(response: Any) -> str:
    """What a person reads on a response: tags dropped, entities decoded, white space collapsed."""
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def run_sheet(client: Any, session: TreatmentSession) -> Any:
    return client.get(reverse("treatments:run_sheet", kwargs={"session_id": session.public_id}))


def staff_of(patient: Any) -> Any:
    """The patient's primary clinician (a prescriber of their clinic in the personas)."""
    return patient.primary_clinician


@contextmanager
def _at(when: dt.datetime) -> Iterator[None]:
    """Run the enclosed service calls with the clock stopped at `when`."""
    with time_machine.travel(when, tick=False):
        yield


def make_session(
    patient: Any,
    *,
    route: str = "iv",
    state: str = "scheduled",
    minutes_since_dose_end: int = 30,
    hold: bool = False,
    now: dt.datetime | None = None,
    checks_taken: bool = True,
    questionnaires_due: bool = False,
) -> TreatmentSession:
    """A session of `patient` in `state`; later states carry the check-in, dose and vitals the services write.

    The session belongs to the patient's active plan for `route` (made through the plan service the
    first time) and is scheduled on today's date in the clinic's zone, so the dose go/no-go sees a due
    session. Times, counted back from `now`: scheduled 90 min before the end of dosing plus
    `minutes_since_dose_end`, check-in 20 min before the dose, pre-dose vital signs 5 min after
    check-in (a hold when `hold`), the dose (a 40 min infusion, or two nasal devices 5 min apart) ending
    `minutes_since_dose_end` before `now`, vital signs at each checkpoint of the route's schedule
    that has come (unless `checks_taken` is False: a session whose checks were missed), vital signs and
    an observation a minute before `now`, and discharge at `now`. The questionnaires due before the dose
    are skipped at check-in with a reason, as a nurse records it (the dose waits for each), unless
    `questionnaires_due`: a checked-in session whose questionnaires are still to do.
    """
    now = now or timezone.now()
    user = staff_of(patient)
    zone = zoneinfo.ZoneInfo(patient.clinic.time_zone)
    scheduled_at = now - dt.timedelta(minutes=minutes_since_dose_end + 90)
    dose_end = now - dt.timedelta(minutes=minutes_since_dose_end)
    dose_start = dose_end - dt.timedelta(minutes=INFUSION_MIN if route == "iv" else DEVICE_WAIT_MIN)
    checked_in_at = min(dose_start - dt.timedelta(minutes=20), now)
    if state == "checked_in":
        # The test doses it next, at `now`, and the dose go/no-go wants a session due on the clinic's
        # current day: shortly after the clinic's midnight the check-in moves to 00:01 of that day.
        midnight = dt.datetime.combine(now.astimezone(zone).date(), dt.time(0, 1), tzinfo=zone)
        checked_in_at = min(max(checked_in_at, midnight), now)
    # A scheduled session is due today; a started one on the day of its check-in (check-in is for
    # sessions due that day). Just after midnight in the clinic the session moves to 00:01 of that day.
    day_of = (now if state == "scheduled" else checked_in_at).astimezone(zone).date()
    if scheduled_at.astimezone(zone).date() != day_of:
        scheduled_at = dt.datetime.combine(day_of, dt.time(0, 1), tzinfo=zone)
    session = _book(patient, route=route, starts_at=scheduled_at)
    if state == "scheduled":
        return session
    with _at(checked_in_at):
        services.check_in_session(
            session=session,
            user=user,
            weight_kg=WEIGHT_KG,
            fasting_confirmed=True,
            ride_home_confirmed=True,
        )
        if not questionnaires_due:
            skip_pre_dose_questionnaires(session, user)
    with _at(min(checked_in_at + dt.timedelta(minutes=5), now)):
        services.record_vital_signs(
            session=session,
            user=user,
            systolic_mmhg=160 if hold else 122,
            diastolic_mmhg=95 if hold else 78,
            heart_rate_bpm=72,
            spo2_pct=98,
        )
    if state == "checked_in":
        return _fresh(session)
    with _at(dose_start):
        _override_open_holds(session, user)
        if route == "iv":
            services.record_dose(session=session, user=user, dose_mg=35, lot_number="LOT-1")
        else:
            services.record_dose(session=session, user=user, dose_mg=DEVICE_MG, lot_number="LOT-1")
    if state == "dosing":
        return _fresh(session)
    observed_at = min(now, dose_end + dt.timedelta(minutes=max(minutes_since_dose_end - 1, 0)))
    if checks_taken:
        _readings_at_checkpoints(session, user, dose_start=dose_start, dose_end=dose_end, until=observed_at)
    with _at(dose_end):
        if route == "iv":
            services.end_dosing(session=session, user=user)
        else:
            services.record_dose(session=session, user=user, dose_mg=DEVICE_MG, lot_number="LOT-1")
    if checks_taken:
        # From just before the end, so the end-of-dosing checkpoint (at `dose_end` itself) is included.
        just_before = dose_end - dt.timedelta(seconds=1)
        _readings_at_checkpoints(session, user, dose_start=just_before, dose_end=dose_end, until=observed_at)
    with _at(observed_at):
        services.record_vital_signs(
            session=session, user=user, systolic_mmhg=126, diastolic_mmhg=80, heart_rate_bpm=74, spo2_pct=98
        )
        services.record_observation(session=session, user=user, moaas_score=5, dissociation="none")
    if state == "observing":
        return _fresh(session)
    with _at(now):
        _discharge(session, user, now)
    return _fresh(session)


def skip_pre_dose_questionnaires(session: TreatmentSession, user: Any | None = None) -> None:
    """Record each questionnaire still due before the session's dose as skipped with a reason, through the
    service a nurse's "Not done today" calls: the dose waits for each one until it is answered or skipped."""
    session = _fresh(session)
    for item in selectors.pre_dose_questionnaires(session):
        if item.status == "due":
            services.skip_pre_dose_questionnaire(
                session=session,
                user=user or staff_of(session.patient),
                assignment=item.assignment,
                reason=QUESTIONNAIRE_SKIP_REASON,
            )


def skip_questionnaires_on_the_page(page: Any, reason: str = QUESTIONNAIRE_SKIP_REASON) -> None:
    """In a browser on the run-sheet (Playwright): each questionnaire still due before the dose marked
    "Not done today" with `reason`, as a nurse does; the dose waits for each one otherwise."""
    while (summary := page.get_by_text("Not done today", exact=True)).count():
        summary.first.click()
        page.locator("[id$='_skip_reason']").first.fill(reason)
        with page.expect_response(lambda r: r.request.method == "POST"):
            page.get_by_role("button", name="Mark as skipped").first.click()
        page.wait_for_timeout(150)


def _readings_at_checkpoints(
    session: TreatmentSession,
    user: Any,
    *,
    dose_start: dt.datetime,
    dose_end: dt.datetime,
    until: dt.datetime,
) -> None:
    """A normal set at each checkpoint from `dose_start` up to `until` (not after), at its time, as a
    nurse following the run-sheet records them; the set at `until` itself is the caller's."""
    session = _fresh(session)
    for point in selectors.checkpoints(session, until):
        if point.code == "pre_dose" or not dose_start < point.due_at < until or point.status == "done":
            continue
        if point.projected and point.code != "during_dose":
            continue
        with _at(point.due_at):
            services.record_vital_signs(
                session=session,
                user=user,
                systolic_mmhg=124,
                diastolic_mmhg=79,
                heart_rate_bpm=73,
                spo2_pct=98,
            )


def make_planned_session(patient: Any, *, starts_at: dt.datetime | None = None) -> TreatmentSession:
    """A scheduled IV induction session on a new plan of its own (what the questionnaire schedule sees)."""
    starts_at = starts_at or timezone.now()
    plan = _new_plan(patient, route="iv", starts_at=starts_at)
    return plan.sessions.get()


def _book(patient: Any, *, route: str, starts_at: dt.datetime) -> TreatmentSession:
    """A scheduled session at `starts_at` on the patient's active plan for `route`.

    The first one lays out a new plan; a later one is booked on that plan as a maintenance session, as
    a prescriber books another session (the sessions the plan laid out keep their own times). A time
    less than 24 h from another session is booked as the prescriber's confirmation books it: tests
    build such sessions on purpose (the dose interval hold). A patient has one active plan at a time
    (docs/decisions/0032): a session on another route is a new course, so the prescriber ends the active
    one first, as completed (`_end_for_another_route`).
    """
    plan = TreatmentPlan.objects.filter(patient=patient, status="active").first()
    if plan is not None and plan.route != route:
        _end_for_another_route(plan, staff_of(patient))
        plan = None
    if plan is None:
        plan = _new_plan(patient, route=route, starts_at=starts_at)
        return plan.sessions.order_by("scheduled_at").first()  # type: ignore[return-value]
    with _at(min(starts_at, timezone.now())):
        appointment = services.book_maintenance_session(
            plan=plan, user=staff_of(patient), starts_at=starts_at, now=timezone.now(), book_anyway=True
        )
    return TreatmentSession.objects.get(appointment=appointment)


def _end_for_another_route(plan: TreatmentPlan, user: Any) -> None:
    """The prescriber ends the patient's course so that one on another route can start.

    While a session of it is in the chair, or the patient has an unresolved suicide-risk or emergency
    alert (one a test raised before), no service ends a course; a test asking for a session on another
    route then gets the ending written as the service writes it (its sessions keep their states).
    """
    try:
        services.end_treatment_plan(plan=plan, user=user, ended_as="completed")
    except ConflictError:
        TreatmentPlan.objects.filter(pk=plan.pk).update(
            status=TreatmentPlan.Status.ENDED,
            ended_as=TreatmentPlan.Ending.COMPLETED,
            ended_at=timezone.now(),
            ended_by=user,
        )


def _new_plan(patient: Any, *, route: str, starts_at: dt.datetime) -> TreatmentPlan:
    """A plan made by the patient's prescriber with the plan service, its first session at `starts_at`.

    IV uses the custom preset with one infusion on that weekday, so the plan holds just this session;
    esketamine has only the label's course (its later sessions stay scheduled on later dates).
    """
    zone = zoneinfo.ZoneInfo(patient.clinic.time_zone)
    options: dict[str, Any] = (
        {
            "preset_id": "custom",
            "weight_kg": WEIGHT_KG,
            "weekdays": [starts_at.astimezone(zone).weekday()],
            "session_count": 1,
        }
        if route == "iv"
        else {"preset_id": None}
    )
    with _at(min(starts_at, timezone.now())):
        return services.create_treatment_plan(
            patient=patient,
            user=staff_of(patient),
            protocol_id=PROTOCOL_OF[route],
            first_session_at=starts_at,
            gate_override_reason=PLAN_GATE_REASON,
            # A test's session may fall at any hour of the clinic's day: the prescriber confirms it.
            book_outside_hours=True,
            **options,
        )


def _override_open_holds(session: TreatmentSession, user: Any) -> None:
    """The prescriber's override of the holds open now (a high pre-dose reading, a dose within 24 h)."""
    session.refresh_from_db()
    holds = [h for h in selectors.open_holds(session, timezone.now()) if h.code not in selectors.STEP_HOLDS]
    if holds or session.hold:
        services.override_hold(session=session, user=user, reason=HOLD_REASON)


def _discharge(session: TreatmentSession, user: Any, now: dt.datetime) -> None:
    """Discharge through the service; criteria not met yet (IV observed under 60 min) by the prescriber's override.

    Esketamine's 120-minute observation is a hard rule no one overrides, and so is an unresolved
    suicide-risk or emergency alert of the patient (one a test raised before building the session's
    history): a test asking for such a session discharged gets the discharge written as the service
    would write it (state, times, appointment completed, the REMS form prefilled), because no service
    can record it.
    """
    try:
        services.discharge_session(session=session, user=user, ride_present=True, instructions_given=True)
        return
    except DischargeRefused as refused:
        codes = {code for code, _ in refused.unmet}
        hard = bool(codes & SAFETY_ALERT_CODES) or (
            "observation_time" in codes and not selectors.route_rules(session).observation.overridable
        )
    if not hard:
        services.discharge_session(
            session=session,
            user=user,
            ride_present=True,
            instructions_given=True,
            override_reason=DISCHARGE_REASON,
        )
        return
    session = TreatmentSession.objects.select_related("clinic", "patient").get(pk=session.pk)
    session.state = TreatmentSession.State.DISCHARGED
    session.discharged_at = now
    session.discharged_by = user
    session.ride_present = True
    session.instructions_given = True
    session.save()
    set_appointment_status(session.appointment_id, Appointment.Status.COMPLETED)
    start_rems_form(session, now)


def _fresh(session: TreatmentSession) -> TreatmentSession:
    return TreatmentSession.objects.get(pk=session.pk)
