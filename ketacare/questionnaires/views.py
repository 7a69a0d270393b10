"""Due questionnaires, the form rendered from the core definition, its result page, and the policy page."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.gates import clinic_admin_required, own_patient_page, patient_required
from ketacare.accounts.http import AuthenticatedRequest
from ketacare.audit.services import record_access_event
from ketacare.clinics.selectors import active_clinic
from ketacare.core.display import condition_name, instrument_name
from ketacare.core.instruments import Instrument, InvalidAnswersError, Item, get_instrument, instruments
from ketacare.core.vigilance import CheckOutcome, evaluate_check, vigilance_rules
from ketacare.lib.errors import FieldError
from ketacare.lib.idempotency import IDEMPOTENCY_KEY_MAX_CHARS
from ketacare.patients.facts import SUICIDE_RISK, ResponseOutcome, at_the_clinic, next_appointment
from ketacare.patients.models import Patient
from ketacare.patients.selectors import (
    LOW_MOOD_LINE_MAX,
    LOW_MOOD_SUPPORT_MAX,
    access_patient,
    clinic_contact_for,
)
from ketacare.questionnaires.forms import QuestionnairePolicyForm
from ketacare.questionnaires.models import QuestionnaireAssignment, QuestionnairePolicy, QuestionnaireResponse
from ketacare.questionnaires.schedule import PolicyValues
from ketacare.questionnaires.selectors import access_response, course_alert_raised, due_questionnaires
from ketacare.questionnaires.services import (
    QuestionnaireError,
    patient_instrument,
    policy_for,
    schedule_questionnaires,
    submit_questionnaire,
    update_questionnaire_policy,
)

DAYS_PER_WEEK = 7


def _every(days: int) -> str:
    """'Every day', 'Weekly', 'Every 2 weeks', 'Every 10 days': the clinic's interval in plain words."""
    if days == 1:
        return "Every day"
    if days == DAYS_PER_WEEK:
        return "Weekly"
    if days % DAYS_PER_WEEK == 0:
        return f"Every {days // DAYS_PER_WEEK} weeks"
    return f"Every {days} days"


# Why a questionnaire is asked, in the patient's words: "baseline" and "induction" are the clinic's terms.
_REASON_WORDS: dict[str, str] = {
    QuestionnaireAssignment.Reason.BASELINE: "Before your treatment starts, to compare with later",
    QuestionnaireAssignment.Reason.BEFORE_SESSION: "On the day of your session, before it starts",
    QuestionnaireAssignment.Reason.AFTER_FIRST_DOSE: "After your first session",
    QuestionnaireAssignment.Reason.DAILY_MOOD: "Every day",
}


def _reason_words(reason: str, policy: PolicyValues) -> str:
    """Why a questionnaire is asked, in the patient's words; a periodic one names the clinic's own
    interval (its policy), which is not always a week."""
    if reason == QuestionnaireAssignment.Reason.INDUCTION_WEEKLY:
        return f"{_every(policy.induction_interval_days)} during your first series of treatments"
    if reason == QuestionnaireAssignment.Reason.MAINTENANCE:
        every = _every(policy.maintenance_interval_days)
        return f"{every} while you have further sessions after your first series"
    return _REASON_WORDS.get(reason, "")


def _own(request: AuthenticatedRequest, action: str = "read") -> Patient:
    return access_patient(request.user, request.user.patient.public_id, action=action)


@patient_required
def due(request: AuthenticatedRequest) -> HttpResponse:
    """The questionnaires due now (the schedule is brought up to date first) and those open any time."""
    now = timezone.now()
    patient = _own(request)
    schedule_questionnaires(patient=patient, now=now)
    due_now = due_questionnaires(patient=patient, now=now)
    # A questionnaire already listed as due is not offered a second time under another name.
    listed = {assignment.instrument_id for assignment in due_now}
    policy = policy_for(patient)
    return render(
        request,
        "questionnaires/due.html",
        {
            "patient": patient,
            "due": [(a, _reason_words(a.reason, policy)) for a in due_now],
            "now": now,
            "available": [i for i in instruments() if i.completed_by == "patient" and i.id not in listed],
        },
    )


@own_patient_page("questionnaire", "instrument")
def fill(request: AuthenticatedRequest, instrument: str) -> HttpResponse:
    """One questionnaire. Sent answers are stored, then the browser is sent to their result page
    (Post/Redirect/Get: a refresh or the back button never posts them again), which shows the crisis
    resources at once when item 9 of the PHQ-9 (any suicide-risk item) is positive. Answers that
    cannot be stored come back on the form with what to correct (400)."""
    try:
        definition = patient_instrument(instrument)
    except QuestionnaireError:
        record_access_event(
            action="read", outcome="denied", object_type="questionnaire", object_id=instrument[:64]
        )
        raise Http404("No such questionnaire") from None
    patient = _own(request, "write" if request.method == "POST" else "read")
    errors: list[str] = []
    field_errors: dict[str, str] = {}
    chosen: dict[str, int] = {}
    key = uuid.uuid4().hex
    if request.method == "POST":
        key = request.POST.get("idempotency_key", "")[:IDEMPOTENCY_KEY_MAX_CHARS]
        chosen, field_errors = _read_answers(definition, request.POST)
        if not field_errors:
            try:
                outcome = submit_questionnaire(
                    patient=patient,
                    instrument_id=definition.id,
                    answers=chosen,
                    idempotency_key=key,
                    now=timezone.now(),
                )
            except FieldError as error:
                errors.append(error.message)
            else:
                # 303 See Other: the browser follows with a GET, so the result page is what it keeps.
                return HttpResponseRedirect(
                    reverse("questionnaires:result", kwargs={"response_id": str(outcome.response.public_id)}),
                    status=303,
                )
    items = [
        {"item": item, "number": n, "selected": chosen.get(item.id), "error": field_errors.get(item.id, "")}
        for n, item in enumerate(definition.items, 1)
    ]
    # The summary above the form lists each problem once, in question order (a group error such as
    # "question 6 or question 7" sits on both of its questions).
    summary: list[dict[str, object]] = []
    for row in items:
        if row["error"] and all(row["error"] != listed["message"] for listed in summary):
            summary.append({"number": row["number"], "message": row["error"]})
    return render(
        request,
        "questionnaires/form.html",
        {
            "patient": patient,
            "instrument": definition,
            "items": items,
            "errors": errors,
            "summary": summary,
            "key": key,
        },
        status=400 if errors or summary else 200,
    )


# Words a question's opening is not left hanging on ("Trouble falling or staying asleep, or…").
_TRAILING_WORDS = frozenset("a an and as at for in of on or such than that the to when with you your".split())


def _opening_words(text: str, max_chars: int = 40) -> str:
    """The first words of a question, enough to recognise it: 'Thoughts that you would be better off…'."""
    if len(text) <= max_chars:
        return text.rstrip(" .?:")
    words: list[str] = []
    for word in text.split():
        if len(" ".join([*words, word])) > max_chars:
            break
        words.append(word)
    opening = " ".join(words)
    if opening.count("(") > opening.count(")"):
        opening = opening[: opening.rindex("(")]
    words = opening.split()
    while len(words) > 1 and words[-1].strip(",;:—-").casefold() in _TRAILING_WORDS | {""}:
        words.pop()
    return " ".join(words).rstrip(",;:.?—- ") + "…"


def _question(number: int, item: Item, *, first: bool = False) -> str:
    return f"{'Question' if first else 'question'} {number} (“{_opening_words(item.text)}”)"


def _read_answers(definition: Instrument, posted: Mapping[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """The posted answers as item id -> option value, and what to correct on each question (by item id).

    Every message names the question by its number and first words, as the patient reads it on the form;
    the template attaches it to that question's answers for screen readers.
    """
    chosen: dict[str, int] = {}
    problems: dict[str, str] = {}
    numbers = {item.id: n for n, item in enumerate(definition.items, 1)}
    for number, item in enumerate(definition.items, 1):
        raw = posted.get(item.id)
        if raw in (None, ""):
            if item.required:
                problems[item.id] = f"Answer {_question(number, item)} to send."
            continue
        try:
            value = int(str(raw))
        except ValueError:
            value = None
        if value is None or value not in item.allowed_values:
            problems[item.id] = (
                f"{_question(number, item, first=True)}: choose one of the answers given "
                f"({', '.join(option.label for option in item.options)})."
            )
            continue
        chosen[item.id] = value
    # Questions of which either one may be answered (QIDS-SR16: appetite down or up): one is needed.
    for group in definition.answer_one_of:
        if any(item_id in chosen or item_id in problems for item_id in group):
            continue
        either = " or ".join(_question(numbers[i], definition.items_by_id[i]) for i in group)
        for item_id in group:
            problems[item_id] = f"Answer {either} to send."
    return chosen, problems


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What the result page says after a periodic check (bladder, cravings and other use).

    ``positive``: the core found an answer that needs the clinic (``core.vigilance.evaluate_check``),
    and the same evaluation raised the clinic's alert when the answers were stored. ``hold_next_dose``:
    the next treatment waits until a prescriber has reviewed the patient. ``message`` is the knowledge
    base's own advice to the patient for that red flag.
    """

    positive: bool
    hold_next_dose: bool
    message: str


def _check_result(instrument_id: str, answers: Mapping[str, int]) -> CheckResult | None:
    """The core's verdict on a completed periodic check; None for any other questionnaire."""
    check = next((c for c in vigilance_rules().checks.values() if c.instrument_id == instrument_id), None)
    if check is None:
        return None
    try:
        outcome: CheckOutcome = evaluate_check(check.id, answers)
    except InvalidAnswersError:
        # Answers the current definition cannot read (another version): the page still opens, with the
        # items the patient said yes to, and without advice the core did not give.
        return None
    return CheckResult(outcome.alert, outcome.hold_next_dose, outcome.patient_message)


def _yes_answers(definition: Instrument, answers: Mapping[str, int]) -> list[Item] | None:
    """The questions answered "Yes" when every question of the instrument is a yes/no one, else None.

    A count of yes answers is what such a check means to a patient; a "score" is for rating scales.
    """
    yes_values: dict[str, int] = {}
    for item in definition.items:
        labels = {option.label.casefold(): option.value for option in item.options}
        if set(labels) != {"yes", "no"}:
            return None
        yes_values[item.id] = labels["yes"]
    return [item for item in definition.items if answers.get(item.id) == yes_values[item.id]]


@own_patient_page("questionnaire_response", "response_id")
def result(request: AuthenticatedRequest, response_id: str) -> HttpResponse:
    """The result of one sent questionnaire: the page the form redirects to after storing the answers.

    It shows what the answer to the POST showed: the score and, whenever the stored answers carry a
    suicide-risk item (PHQ-9 item 9), the crisis line, the emergency number and the clinic's phone;
    while the clinic is closed, after those two numbers, when the clinic will see the alert instead.
    After a periodic check (yes/no questions) it counts the yes answers instead of a score and, when
    the core finds the check positive, says what to do now, that the clinic has been told (closed: when
    it will read it), whether the next treatment waits for a prescriber, and how to reach the clinic.
    Otherwise it says what happens next: the care team sees the answers in the patient's record, and
    is alerted only when the answers raised an alert (a worsening course), so no call is promised
    without one; the next visit, when one is booked (else that none is, and to call to arrange one);
    and where to go if the patient feels worse (check-in, the clinic, the crisis line). After a low
    daily mood it says the mood alone alerts nobody and to call the clinic to talk about it; the
    clinic's number shows once.
    """
    response = access_response(request.user, response_id)
    patient = response.patient
    definition = next((i for i in instruments() if i.id == response.instrument_id), None)
    crisis = ResponseOutcome(response, created=False).crisis
    check = _check_result(response.instrument_id, response.answers)
    # A daily mood follows the check-in's mood rule (patients.selectors): the crisis screen, when there
    # is one, already gives the numbers.
    mood = response.total if not crisis and response.instrument_id == "daily_mood" else None
    # What the page opens with: the crisis screen first, then a positive check's advice.
    needs_clinic = not crisis and check is not None and check.positive
    # This score raised a course alert (vigilance, in the submission's transaction): only then is the
    # patient told the care team was alerted and will contact them.
    alerted = not crisis and not needs_clinic and course_alert_raised(response)
    low_mood = mood is not None and mood <= LOW_MOOD_SUPPORT_MAX
    mood_line = mood is not None and LOW_MOOD_SUPPORT_MAX < mood <= LOW_MOOD_LINE_MAX
    # Answers that count and alerted nobody: the page says no call will come, and when the patient can
    # talk about them instead (the next visit, only when one is booked).
    unalerted = (
        not crisis
        and not needs_clinic
        and not alerted
        and response.status == QuestionnaireResponse.Status.VALID
    )
    now = timezone.now()
    return render(
        request,
        "questionnaires/result.html",
        {
            "patient": patient,
            "clinic": patient.clinic,
            "instrument": definition,
            "response": response,
            # The same rule the submission used to decide on the crisis screen (patients.facts).
            "crisis": crisis,
            "check": check,
            "needs_clinic": needs_clinic,
            "yes_answers": _yes_answers(definition, response.answers) if definition else None,
            "alerted": alerted,
            "next_visit": next_appointment(patient, now=now) if unalerted else None,
            # Whether the clinic is open now: closed, the screen says when it will see the alert.
            "contact": clinic_contact_for(patient, now),
            # In the chair, the fastest help is the staff in the room: the screen says so first.
            "at_the_clinic": (crisis or needs_clinic) and at_the_clinic(patient),
            # A very low daily mood: the crisis line beside the thanks, as after a check-in.
            "low_mood": low_mood,
            # A low one: the check-in's calm line under the score.
            "mood_line": mood_line,
            # Either: "what happens next" says the mood alone alerts nobody, and to call to talk about it.
            "mood_talk": unalerted and (low_mood or mood_line),
            # The clinic's number shows once: the very-low-mood box gives it, or the mood's sentence.
            "clinic_number_given": low_mood or (unalerted and mood_line),
        },
    )


def _asks_about_self_harm(instrument_id: str) -> bool:
    return any(rule.code == SUICIDE_RISK for rule in get_instrument(instrument_id).alert_rules)


@clinic_admin_required
def policy(request: AuthenticatedRequest) -> HttpResponse:
    """Clinic admins: which questionnaires fall due and when (without a saved policy the defaults apply)."""
    clinic = active_clinic(request)
    if clinic is None:  # pragma: no cover - clinic_admin_required guarantees it
        raise Http404("Not found")
    current = QuestionnairePolicy.objects.filter(clinic=clinic).first() or QuestionnairePolicy(clinic=clinic)
    if request.method == "POST":
        form = QuestionnairePolicyForm(request.POST)
        if form.is_valid():
            update_questionnaire_policy(clinic=clinic, values=form.cleaned_data)
            messages.success(request, "The questionnaire schedule is saved.")
            if not any(_asks_about_self_harm(i) for i in form.cleaned_data["core_instruments"]):
                # Saved (a clinic may screen another way), but never silently: PHQ-9 item 9 is how the
                # schedule asks about thoughts of self-harm between sessions.
                messages.warning(
                    request,
                    "No questionnaire on the schedule asks about thoughts of self-harm (PHQ-9 item 9 does): "
                    "patients are no longer asked between sessions, and no suicide-risk alert can come from "
                    "the schedule. Add PHQ-9 back unless the clinic screens another way.",
                )
            return redirect("questionnaires:policy")
        status = 400
    else:
        form = QuestionnairePolicyForm(
            initial={
                "core_instruments": current.core_instruments,
                "before_each_induction_session": current.before_each_induction_session,
                "after_first_dose_hours": current.after_first_dose_hours,
                "induction_interval_days": current.induction_interval_days,
                "maintenance_interval_days": current.maintenance_interval_days,
                "due_hour_local": current.due_hour_local,
                "daily_mood": current.daily_mood,
            }
        )
        status = 200
    return render(
        request,
        "questionnaires/policy.html",
        {
            "form": form,
            "clinic": clinic,
            "saved": current.pk is not None,
            # Staff read the condition and questionnaire names, not the ids the policy stores.
            "conditions": [
                (condition_name(condition), [instrument_name(i) for i in ids])
                for condition, ids in current.condition_instruments.items()
            ],
        },
        status=status,
    )
