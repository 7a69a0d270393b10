"""Writes for questionnaires: scheduling, scoring through the core, alerts and reminders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from ketacare.alerts.models import Alert
from ketacare.alerts.services import raise_alert
from ketacare.core.display import item_name
from ketacare.core.instruments import (
    Instrument,
    InvalidAnswersError,
    ScoreResult,
    UnknownInstrumentError,
    get_instrument,
    instruments,
    score,
)
from ketacare.lib.errors import FieldError
from ketacare.lib.idempotency import create_once
from ketacare.notifications.services import deliver, in_quiet_hours, preferences
from ketacare.patients import facts
from ketacare.patients.facts import SUICIDE_RISK, ResponseOutcome
from ketacare.patients.models import Patient
from ketacare.questionnaires.models import QuestionnaireAssignment, QuestionnairePolicy, QuestionnaireResponse
from ketacare.questionnaires.schedule import PolicyValues, answer_window, due_slots
from ketacare.questionnaires.selectors import baselines_taken_at_intake
from ketacare.questionnaires.signals import response_stored


class QuestionnaireError(FieldError):
    """Invalid questionnaire input; ``field`` names the offending field."""


def patient_instrument(instrument_id: str) -> Instrument:
    """The core instrument if a patient may complete it, else QuestionnaireError naming the allowed ids."""
    allowed = [i.id for i in instruments() if i.completed_by == "patient"]
    if instrument_id not in allowed:
        raise QuestionnaireError(
            "instrument_id", f"unknown instrument {instrument_id[:40]!r}: allowed {', '.join(allowed)}"
        )
    return get_instrument(instrument_id)


def policy_for(patient: Patient) -> PolicyValues:
    """The clinic's policy (or the defaults), with the patient's condition-specific scales."""
    policy = QuestionnairePolicy.objects.filter(clinic_id=patient.clinic_id).first() or QuestionnairePolicy()
    instruments = list(policy.core_instruments)
    for condition in facts.patient_conditions(patient):
        instruments += policy.condition_instruments.get(condition, [])
    return PolicyValues(
        instruments=tuple(dict.fromkeys(instruments)),
        before_each_induction_session=policy.before_each_induction_session,
        after_first_dose_hours=policy.after_first_dose_hours,
        induction_interval_days=policy.induction_interval_days,
        maintenance_interval_days=policy.maintenance_interval_days,
        due_hour_local=policy.due_hour_local,
        daily_mood=policy.daily_mood,
    )


def has_baseline(patient: Patient, instrument_id: str) -> bool:
    """Whether a baseline exists already: a staff-entered intake baseline or any earlier response.

    Either is the patient's pre-treatment score on the scale, whoever filed it (docs/decisions/0030).
    """
    return (
        bool(facts.intake_baselines(patient, instrument_id=instrument_id))
        or QuestionnaireResponse.objects.filter(
            patient=patient, instrument_id=instrument_id, status="valid"
        ).exists()
    )


def _induction_sessions(appointments: Any) -> list[tuple[str, dt.datetime]]:
    # The policy asks before each induction session only; in maintenance the scales come on the
    # policy's maintenance interval instead, whatever the sessions.
    return [(a.public_id, a.starts_at) for a in appointments if "maintenance" not in a.kind]


def _slots(
    patient: Patient, policy: PolicyValues, *, now: dt.datetime, upcoming: list[tuple[str, dt.datetime]]
) -> list[Any]:
    doses = facts.patient_doses(patient, now=now)
    return due_slots(
        policy=policy,
        stage=patient.stage,
        time_zone=patient.time_zone,
        enrolled_at=patient.created_at or now,
        dose_starts=[d.started_at for d in doses],
        upcoming_induction_sessions=upcoming,
        maintenance_started_at=facts.maintenance_started_at(patient, now=now),
        now=now,
    )


def _store_slots(patient: Patient, slots: list[Any], policy: PolicyValues, *, now: dt.datetime) -> int:
    existing = set(
        QuestionnaireAssignment.objects.filter(patient=patient).values_list("schedule_key", flat=True)
    )
    created = 0
    laid_out: set[str] = set()
    for slot in slots:
        if slot.key in existing:
            continue
        if slot.reason == "baseline" and has_baseline(patient, slot.instrument_id):
            continue  # taken at intake, or answered before scheduling began
        try:
            with transaction.atomic():
                QuestionnaireAssignment.objects.create(
                    clinic_id=patient.clinic_id,
                    patient=patient,
                    instrument_id=slot.instrument_id,
                    reason=slot.reason,
                    due_at=slot.due_at,
                    schedule_key=slot.key,
                )
            created += 1
            laid_out.add(slot.key)
        except IntegrityError:
            continue  # another worker created the same slot
    _settle_baselines_taken_at_intake(patient)
    _complete_answered_since_due(patient, policy, laid_out=laid_out, now=now)
    return created


def _settle_baselines_taken_at_intake(patient: Patient) -> None:
    """Close each baseline slot the clinic's intake baseline covers, and reopen one it no longer does.

    A baseline slot laid out before the clinic entered the scale at intake is completed at the
    intake score's time: that score is the baseline, and asking the same questions again at home
    (PHQ-9 item 9 among them) the same day adds nothing (docs/decisions/0030). Such a slot has no
    response filed under it. When every intake baseline of the scale is then marked entered in error
    and the patient has answered none, the slot is due again, as it would be had it never been closed.
    """
    taken = baselines_taken_at_intake(patient)
    slots = QuestionnaireAssignment.objects.filter(
        patient=patient, reason=QuestionnaireAssignment.Reason.BASELINE
    ).annotate(answered=Exists(QuestionnaireResponse.objects.filter(assignment=OuterRef("pk"))))
    for slot in slots.exclude(state=QuestionnaireAssignment.State.CANCELLED):
        at = taken.get(slot.instrument_id)
        if slot.state == QuestionnaireAssignment.State.DUE and at is not None:
            # Conditional: an answer submitted meanwhile may have completed it already.
            QuestionnaireAssignment.objects.filter(pk=slot.pk, state=slot.state).update(
                state=QuestionnaireAssignment.State.COMPLETED, completed_at=at
            )
        elif (
            slot.state == QuestionnaireAssignment.State.COMPLETED
            and at is None
            and not slot.answered
            and not has_baseline(patient, slot.instrument_id)
        ):
            QuestionnaireAssignment.objects.filter(pk=slot.pk, state=slot.state).update(
                state=QuestionnaireAssignment.State.DUE, completed_at=None
            )


def _complete_answered_since_due(
    patient: Patient, policy: PolicyValues, *, laid_out: set[str], now: dt.datetime
) -> int:
    """Complete the patient's slots already answered within their answer window; returns how many.

    The schedule is laid out lazily (the patient's next visit, the worker's run, check-in), so a slot
    can be created after the patient has answered that scale close to its due time, or since
    (docs/decisions/0025). Had the slot been there, that answer would have completed it. Each such
    slot is completed by the first valid answer of its instrument given from its answer window's
    start (``schedule.answer_window``: half its interval before its due time) up to now, at that
    answer's time. An answer filed under no slot is filed under the oldest one it completes, and one
    that completes a before-session slot before it falls due under that slot (the run-sheet reads the
    session's answer there); an answer already filed under another session's slot does not complete
    one before it falls due (each session has its own pre-dose answer). A baseline is never completed
    this way, nor by an answer filed under a baseline (it describes the patient before treatment),
    nor by one the clinic filed under a named slot. A slot laid out before this run counts only an
    answer filed under no slot: any other answer already completed every slot it covered when it came.
    """
    windows: dict[QuestionnaireAssignment, dt.datetime] = {}
    for slot in (
        QuestionnaireAssignment.objects.filter(patient=patient, state=QuestionnaireAssignment.State.DUE)
        .exclude(reason=QuestionnaireAssignment.Reason.BASELINE)
        .order_by("due_at", "id")
    ):
        window = answer_window(slot.reason, policy)
        if window is not None and slot.due_at - window <= now:
            windows[slot] = slot.due_at - window
    if not windows:
        return 0
    answers: dict[str, list[QuestionnaireResponse]] = {}
    for response in (
        QuestionnaireResponse.objects.filter(
            patient=patient,
            status=QuestionnaireResponse.Status.VALID,
            filed_by_clinic=False,
            instrument_id__in={slot.instrument_id for slot in windows},
            submitted_at__gte=min(windows.values()),
            submitted_at__lte=now,
        )
        .exclude(assignment__reason=QuestionnaireAssignment.Reason.BASELINE)
        .select_related("assignment")
        .order_by("submitted_at", "id")
    ):
        answers.setdefault(response.instrument_id, []).append(response)
    unfiled = {r.pk for responses in answers.values() for r in responses if r.assignment_id is None}
    completed = 0
    for slot, opens in windows.items():
        covering = next(
            (
                r
                for r in answers.get(slot.instrument_id, ())
                if r.submitted_at >= opens
                and (slot.schedule_key in laid_out or r.pk in unfiled)
                and not (_ahead_of_session(slot, r.submitted_at) and _filed_for_a_session(r))
            ),
            None,
        )
        if covering is None:
            continue
        # Conditional: an answer submitted meanwhile may have completed the slot already.
        if not QuestionnaireAssignment.objects.filter(
            pk=slot.pk, state=QuestionnaireAssignment.State.DUE
        ).update(state=QuestionnaireAssignment.State.COMPLETED, completed_at=covering.submitted_at):
            continue
        completed += 1
        if covering.assignment_id is None or _ahead_of_session(slot, covering.submitted_at):
            # Conditional: filed as read, unless a concurrent run filed it meanwhile.
            QuestionnaireResponse.objects.filter(pk=covering.pk, assignment=covering.assignment_id).update(
                assignment=slot
            )
            covering.assignment = slot
    return completed


def _ahead_of_session(slot: QuestionnaireAssignment, answered_at: dt.datetime) -> bool:
    # A before-session slot completed by an answer given before it fell due: the run-sheet finds the
    # session's answer among those filed under its slot or given since it fell due.
    return slot.reason == QuestionnaireAssignment.Reason.BEFORE_SESSION and answered_at < slot.due_at


def _filed_for_a_session(response: QuestionnaireResponse) -> bool:
    return (
        response.assignment is not None
        and response.assignment.reason == QuestionnaireAssignment.Reason.BEFORE_SESSION
    )


def schedule_questionnaires(*, patient: Patient, now: dt.datetime) -> int:
    """Create the patient's due questionnaire slots up to now (idempotent); returns how many were new."""
    # Before-session slots fall due at the start of the session's local day: look two days ahead.
    upcoming = _induction_sessions(
        facts.upcoming_appointments(patient, now=now, until=now + dt.timedelta(days=2))
    )
    policy = policy_for(patient)
    return _store_slots(patient, _slots(patient, policy, now=now, upcoming=upcoming), policy, now=now)


def schedule_before_session(
    *, patient: Patient, session_id: str, starts_at: dt.datetime, kind: str, now: dt.datetime
) -> int:
    """Create the slots due before one session (idempotent), even once its start time has passed.

    Used at check-in, so that a patient who arrives late or never opened the app still has the
    questionnaires of the schedule in front of the nurse. ``session_id``/``kind`` as in
    ``upcoming_appointments`` (the appointment's public id and phase).
    """
    upcoming = _induction_sessions([UpcomingSession(session_id, starts_at, kind)])
    policy = policy_for(patient)
    slots = [s for s in _slots(patient, policy, now=now, upcoming=upcoming) if s.reason == "before_session"]
    return _store_slots(patient, slots, policy, now=now)


@dataclass(frozen=True, slots=True)
class UpcomingSession:
    """The fields of an upcoming appointment the schedule reads."""

    public_id: str
    starts_at: dt.datetime
    kind: str


def cancel_assignment(*, assignment: QuestionnaireAssignment) -> QuestionnaireAssignment:
    """Take a due questionnaire off the patient's list (e.g. skipped at the chair; the reason is the caller's)."""
    with transaction.atomic():
        locked = QuestionnaireAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.state != QuestionnaireAssignment.State.DUE:
            raise QuestionnaireError(
                "assignment", f"this questionnaire is {locked.get_state_display().lower()}, not due"
            )
        locked.state = QuestionnaireAssignment.State.CANCELLED
        locked.completed_at = None
        locked.save(update_fields=["state", "completed_at"])
    return locked


def submit_questionnaire(
    *,
    patient: Patient,
    instrument_id: str,
    answers: Mapping[str, int],
    idempotency_key: str,
    now: dt.datetime,
    assignment: QuestionnaireAssignment | None = None,
    announce: bool = True,
) -> ResponseOutcome:
    """Score answers with the core and store them; a suicide-risk item raises an alert in the same transaction.

    A retry with the same ``idempotency_key`` returns the original response. The given ``assignment``
    (it must be this patient's, of this instrument and due: the clinic names it, and the answer completes
    that one only), else the oldest due assignment of this instrument, is marked completed; without a
    given one, so are the others of this instrument already due or falling due within their answer
    window, a baseline aside (``_the_rest_covered``).

    ``announce=False`` stores without sending ``response_stored``: for a batch of past scores whose
    caller then runs the receivers' rules once over the whole series (the demo's past courses)
    instead of once per score.
    """

    def prepare() -> tuple[Instrument, ScoreResult]:
        instrument = patient_instrument(instrument_id)
        try:
            return instrument, score(instrument.id, dict(answers))
        except (InvalidAnswersError, UnknownInstrumentError) as error:
            raise QuestionnaireError("answers", str(error)) from None

    def create(scored: tuple[Instrument, ScoreResult]) -> QuestionnaireResponse:
        instrument, result = scored
        due = _assignment_to_complete(patient, instrument, assignment, now=now)
        covered = (
            _the_rest_covered(patient, due, now=now)
            if due is not None
            and assignment is None
            and due.reason != QuestionnaireAssignment.Reason.BASELINE
            else []
        )
        # Filed under the session's slot when it answers one before it falls due (the run-sheet reads
        # the session's answer there), else under the oldest.
        filed = next((slot for slot in covered if _ahead_of_session(slot, now)), due)
        response = QuestionnaireResponse.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            instrument_id=result.instrument_id,
            instrument_version=result.version,
            answers=result.answers,
            total=float(result.total),
            band=result.band or "",
            subscores={k: float(v) for k, v in result.subscores.items()},
            item_alerts=[
                {
                    "code": a.code,
                    "item_id": a.item_id,
                    "value": a.value,
                    "message": a.message,
                    "level": a.level,
                }
                for a in result.alerts
            ],
            submitted_at=now,
            idempotency_key=idempotency_key,
            assignment=filed,
            filed_by_clinic=assignment is not None,
        )
        if due is not None:
            due.state = QuestionnaireAssignment.State.COMPLETED
            due.completed_at = now
            due.save(update_fields=["state", "completed_at"])
        QuestionnaireAssignment.objects.filter(pk__in=[slot.pk for slot in covered]).update(
            state=QuestionnaireAssignment.State.COMPLETED, completed_at=now
        )
        for alert in result.alerts:
            if alert.code == SUICIDE_RISK:
                raise_alert(
                    patient=patient,
                    source=Alert.Source.PHQ9_ITEM9,
                    severity=Alert.Severity.URGENT,
                    title=f"{item_name(alert.item_id)} scored {alert.value:g}: suicide-risk item"[:200],
                    detail=alert.message,
                    dedupe_key=f"qresponse:{response.public_id}:{alert.item_id}",
                    # Where and when it was answered, for the alert's page: only the chair's pre-dose
                    # entry (treatments.record_pre_dose_questionnaire) names the assignment it completes;
                    # the patient's own app leaves it to this service. The time is UTC, as evidence keeps it.
                    evidence={
                        "answered": "chair" if assignment is not None else "app",
                        "answered_at": now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
                    },
                )
        # The course rules (vigilance) run when a new score arrives, in this same transaction, so an
        # acknowledged score never lacks its course alert.
        if announce:
            response_stored.send(sender=QuestionnaireResponse, patient=patient, now=now)
        return response

    response, created = create_once(
        QuestionnaireResponse,
        patient=patient,
        idempotency_key=idempotency_key,
        prepare=prepare,
        create=create,
        same_as=lambda r: r.instrument_id == instrument_id and r.answers == dict(answers),
    )
    return ResponseOutcome(response, created=created)


def _assignment_to_complete(
    patient: Patient, instrument: Instrument, assignment: QuestionnaireAssignment | None, *, now: dt.datetime
) -> QuestionnaireAssignment | None:
    """The assignment a response completes, locked: the given one (it must still be due), else the oldest due."""
    if assignment is not None:
        locked = (
            QuestionnaireAssignment.objects.select_for_update()
            .filter(pk=assignment.pk, patient=patient, instrument_id=instrument.id)
            .first()
        )
        if locked is None or locked.state != QuestionnaireAssignment.State.DUE:
            raise QuestionnaireError(
                "assignment", f"this {instrument.title} is not due for this patient any more"
            )
        return locked
    due = QuestionnaireAssignment.objects.select_for_update().filter(
        patient=patient,
        instrument_id=instrument.id,
        state=QuestionnaireAssignment.State.DUE,
        due_at__lte=now + dt.timedelta(days=1),
    )
    if instrument.id in baselines_taken_at_intake(patient):
        # The clinic took this baseline at intake: a later answer is no baseline, whether or not a
        # scheduling run has closed the slot yet.
        due = due.exclude(reason=QuestionnaireAssignment.Reason.BASELINE)
    return due.order_by("due_at").first()


def _the_rest_covered(
    patient: Patient, answered: QuestionnaireAssignment, *, now: dt.datetime
) -> list[QuestionnaireAssignment]:
    """The patient's other assignments of this instrument an answer now completes too, locked.

    Those already due, and those falling due within their answer window from now (half their
    interval, ``schedule.answer_window``): a patient who missed a weekly questionnaire has the next
    one due too, or falling due tomorrow, and asking the same scale twice within days would only
    repeat the answer (docs/decisions/0025). A baseline never (it describes the patient before
    treatment). A before-session slot not yet due at most one, and none when the answer is filed
    under a session's slot already: each session has its own pre-dose answer, filed under its slot.
    """
    policy = policy_for(patient)
    covered: list[QuestionnaireAssignment] = []
    for_a_session = answered.reason == QuestionnaireAssignment.Reason.BEFORE_SESSION
    for slot in (
        QuestionnaireAssignment.objects.select_for_update()
        .filter(
            patient=patient, instrument_id=answered.instrument_id, state=QuestionnaireAssignment.State.DUE
        )
        .exclude(reason=QuestionnaireAssignment.Reason.BASELINE)
        .exclude(pk=answered.pk)
        .order_by("due_at", "id")
    ):
        window = answer_window(slot.reason, policy)
        if slot.due_at > now and (window is None or slot.due_at - window > now):
            continue
        if _ahead_of_session(slot, now):
            if for_a_session:
                continue
            for_a_session = True
        covered.append(slot)
    return covered


def send_due_reminders(*, now: dt.datetime, limit: int = 500) -> int:
    """Remind each patient once that questionnaires are waiting; returns how many patients were reminded.

    One reminder for everything due together (a schedule makes two or three questionnaires due at the
    same hour), through ``notifications.services.deliver``: the patient's own channels, a fixed text
    that names no questionnaire, a link to the list. A patient in their quiet hours is left unmarked
    and reminded by the first run after them. Safe to run from cron, a task queue or by hand, in
    several workers at once: the patient's waiting assignments are locked and marked in the
    transaction that writes the reminder, so both commit together or not at all.
    """
    waiting = QuestionnaireAssignment.objects.filter(
        state=QuestionnaireAssignment.State.DUE,
        reminded_at__isnull=True,
        due_at__lte=now,
        patient__archived_at__isnull=True,
        patient__user__isnull=False,
    )
    patient_ids = dict.fromkeys(waiting.order_by("due_at").values_list("patient_id", flat=True)[:limit])
    reminded = 0
    patients = list(Patient.objects.filter(pk__in=patient_ids).select_related("user"))
    chosen = preferences(patients)
    for patient in patients:
        if in_quiet_hours(chosen[patient.pk], patient.time_zone, now):
            continue
        with transaction.atomic():
            # A baseline the clinic took at intake is not waiting, closed by a scheduling run or not.
            claimed = list(
                waiting.filter(patient=patient)
                .exclude(
                    reason=QuestionnaireAssignment.Reason.BASELINE,
                    instrument_id__in=list(baselines_taken_at_intake(patient)),
                )
                .select_for_update()
                .values_list("pk", "due_at")
            )
            if not claimed:
                continue  # another worker reminded them first, or only a baseline taken at intake waits
            first_due = min(due_at for _, due_at in claimed)
            deliver(
                patient=patient,
                kind="questionnaire_due",
                url="/me/questionnaires/",
                now=now,
                dedupe_key=f"questionnaires:{first_due:%Y-%m-%dT%H:%M}",
                pref=chosen[patient.pk],
            )
            QuestionnaireAssignment.objects.filter(pk__in=[pk for pk, _ in claimed]).update(reminded_at=now)
            reminded += 1
    return reminded


def update_questionnaire_policy(*, clinic: Any, values: Mapping[str, Any]) -> QuestionnairePolicy:
    """Save a clinic's schedule policy (values already validated by the form; instruments from the core)."""
    with transaction.atomic():
        policy, _ = QuestionnairePolicy.objects.select_for_update().get_or_create(clinic=clinic)
        policy.core_instruments = [patient_instrument(i).id for i in values["core_instruments"]]
        for field in (
            "before_each_induction_session",
            "after_first_dose_hours",
            "induction_interval_days",
            "maintenance_interval_days",
            "due_hour_local",
            "daily_mood",
        ):
            setattr(policy, field, values[field])
        policy.full_clean()
        policy.save()
    return policy
