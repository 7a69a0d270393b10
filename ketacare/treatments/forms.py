"""HTML input for treatments; times are typed on the clinic's wall clock and made aware here."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms

from ketacare.core.protocols import WEEKDAYS, catalog
from ketacare.treatments.models import ENTERED_IN_ERROR_REASON_MAX, AdverseEvent, Observation, TreatmentPlan
from ketacare.treatments.services import MAX_TEXT

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class LocalDateTimeField(forms.DateTimeField):
    """A `datetime-local` input read on the clinic's wall clock (the form's `zone`)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", LOCAL_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.datetime | None:
        # Parse without Django's default-zone conversion; ZonedForm attaches the clinic's zone.
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value
        for fmt in self.input_formats or LOCAL_FORMATS:
            try:
                return dt.datetime.strptime(str(value).strip(), fmt)  # noqa: DTZ007 - zone attached in clean()
            except (TypeError, ValueError):
                continue
        raise forms.ValidationError("Enter a date and time as YYYY-MM-DDTHH:MM.", code="invalid")


class ZonedForm(forms.Form):
    """A form whose LocalDateTimeFields are read in `zone` (an IANA name)."""

    def __init__(self, *args: Any, zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zoneinfo.ZoneInfo(zone)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, field in self.fields.items():
            value = data.get(name)
            if (
                isinstance(field, LocalDateTimeField)
                and isinstance(value, dt.datetime)
                and value.tzinfo is None
            ):
                # fold=0: an ambiguous wall time (DST fall-back) is its first occurrence.
                data[name] = value.replace(tzinfo=self.zone)
        return data


def _protocol_choices() -> list[tuple[str, str]]:
    return [(p.id, p.name) for p in catalog().protocols.values()]


def _preset_choices() -> list[tuple[str, str]]:
    out = [("", "Protocol default")]
    for protocol in catalog().protocols.values():
        for preset in protocol.presets:
            out.append((preset.id, f"{protocol.name}: {preset.name}"))
    return out


class PlanForm(ZonedForm):
    protocol_id = forms.ChoiceField(label="Protocol", choices=_protocol_choices)
    preset_id = forms.ChoiceField(label="Schedule preset", choices=_preset_choices, required=False)
    first_session_at = LocalDateTimeField(label="First session (clinic time)")
    weight_kg = forms.FloatField(label="Weight (kg)", required=False, help_text="Needed for mg/kg dosing")
    weight_measured_on = forms.DateField(
        label="Weight measured on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    mg_per_kg = forms.FloatField(
        label="Dose (mg/kg)", required=False, help_text="Blank: the protocol's standard"
    )
    weekdays = forms.MultipleChoiceField(
        label="Weekdays",
        required=False,
        choices=[(str(i), name.title()) for i, name in enumerate(WEEKDAYS)],
        widget=forms.CheckboxSelectMultiple,
        help_text="The days sessions fall on. A custom schedule needs them. Any other takes as many as it "
        "has sessions a week (3 for “3 per week”); left empty, sessions keep its usual spacing from the "
        "first one, or its usual days (such as Mon, Wed, Fri) where that spacing reaches a day the clinic "
        "is closed.",
    )
    session_count = forms.IntegerField(
        label="Number of sessions (custom schedule)",
        required=False,
        help_text="Only for a custom schedule.",
    )
    maintenance_policy = forms.ChoiceField(choices=TreatmentPlan.MaintenancePolicy.choices)
    notes = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    hepatic_impairment = forms.ChoiceField(
        label="Liver impairment",
        required=False,
        choices=[("none", "None known"), ("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe")],
        help_text="Esketamine: moderate needs longer monitoring; severe is not recommended (label).",
    )
    # Two different reasons, each asked for by its own refusal: a missing pathway step (screening,
    # decision, consent) and a finding about the plan itself. The labels say which is which.
    gate_override_reason = forms.CharField(
        label="Reason to plan with a step missing (screening, eligibility decision or consent)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when a step above is missing for this route. Audited, and shown "
        "on every run-sheet of the plan.",
    )
    finding_reason = forms.CharField(
        label="Reason to go ahead despite a finding about this plan",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when creating the plan names a finding (for example more sessions a week than "
        "studied, liver impairment, a patient under 18). Recorded on the plan.",
    )
    book_outside_hours = forms.BooleanField(
        label="Book outside opening hours anyway",
        required=False,
        help_text="Only when the clinic will open specially: a plan with appointments outside the hours needs it.",
    )


class RescheduleForm(ZonedForm):
    starts_at = LocalDateTimeField(label="New time (clinic time)")
    # The prescriber's answer to "less than 24 hours from another session: book anyway?".
    book_anyway = forms.BooleanField(required=False)


class BookMaintenanceForm(ZonedForm):
    starts_at = LocalDateTimeField(label="Maintenance session (clinic time)")
    book_anyway = forms.BooleanField(required=False)


class CheckInForm(ZonedForm):
    weight_kg = forms.FloatField(label="Weight today (kg)")
    fasting_confirmed = forms.BooleanField(label="Fasting as instructed for this route", required=False)
    ride_home_confirmed = forms.BooleanField(label="Ride home arranged", required=False)
    pregnancy_reported = forms.BooleanField(
        label="Pregnancy reported or possible", required=False, help_text="Holds the dose for a prescriber."
    )
    medication_changes = forms.CharField(
        label="Medication changes since the last visit",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    checked_in_at = LocalDateTimeField(label="Checked in at", required=False)


class VitalsForm(ZonedForm):
    # Ranges are checked by the service so the message names the field and the allowed range.
    measured_at = LocalDateTimeField(label="Measured at", required=False)
    systolic_mmhg = forms.IntegerField(label="Systolic (mmHg)")
    diastolic_mmhg = forms.IntegerField(label="Diastolic (mmHg)")
    heart_rate_bpm = forms.IntegerField(label="Heart rate (/min)", required=False)
    spo2_pct = forms.IntegerField(label="SpO2 (%)", required=False)


class HoldOverrideForm(forms.Form):
    hold_override_reason = forms.CharField(
        label="Reason for dosing despite the hold", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DoseForm(ZonedForm):
    dose_mg = forms.FloatField(label="Dose (mg)")
    lot_number = forms.CharField(label="Lot number", max_length=40)
    started_at = LocalDateTimeField(label="Started at", required=False)
    ended_at = LocalDateTimeField(label="Stopped at (IV; blank while running)", required=False)
    out_of_bounds_reason = forms.CharField(
        label="Reason, if outside the protocol's dose range", required=False, max_length=1000
    )
    gate_override_read = forms.BooleanField(
        label="I have read the prescriber's override",
        required=False,
        help_text="This plan was made with a step missing (see “Planned with a step missing” above).",
    )

    def __init__(
        self, *args: Any, one_time: bool = False, gate_override_read: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if one_time:
            # A nasal device, an oral or sublingual dose or an injection is given at one time: no
            # infusion stop time to fill (the service takes the start as its end).
            del self.fields["ended_at"]
        if not gate_override_read:
            # Asked only before the first dose on a plan made under a gate override (the service decides).
            del self.fields["gate_override_read"]


class EndDosingForm(ZonedForm):
    ended_at = LocalDateTimeField(label="Dosing ended at", required=False)
    reason = forms.CharField(
        label="Reason (stopping an infusion before 80% of its time, or a total the label does not allow)",
        required=False,
        max_length=1000,
    )

    def __init__(self, *args: Any, device: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if device:
            self.fields["reason"].label = "Reason, if the total is one the label does not allow"


class ObservationForm(ZonedForm):
    observed_at = LocalDateTimeField(label="Observed at", required=False)
    moaas_score = forms.TypedChoiceField(
        label="MOAA/S",
        coerce=int,
        # Starts empty: a clinical rating is chosen each time, never pre-selected (decision 0013).
        choices=[
            ("", "— choose —"),
            (5, "5 – responds readily to name"),
            (4, "4 – lethargic response to name"),
            (3, "3 – responds only to loud or repeated name"),
            (2, "2 – responds only to mild prodding"),
            (1, "1 – responds only to trapezius squeeze"),
            (0, "0 – no response to painful stimulus"),
        ],
    )
    dissociation = forms.ChoiceField(
        label="Dissociation", choices=[("", "— choose —"), *Observation.Dissociation.choices]
    )
    respiratory_concern = forms.BooleanField(label="Respiratory concern", required=False)
    note = forms.CharField(required=False, max_length=500)


class AdverseEventForm(ZonedForm):
    occurred_at = LocalDateTimeField(label="Occurred at", required=False)
    description = forms.CharField(max_length=1000)
    severity = forms.ChoiceField(choices=AdverseEvent.Severity.choices)
    action_taken = forms.CharField(required=False, max_length=1000)


class CheckInConfirmationsForm(forms.Form):
    """After check-in, before the dose: what the nurse has since confirmed at the chair."""

    fasting_confirmed = forms.BooleanField(label="Fasting as instructed for this route", required=False)
    ride_home_confirmed = forms.BooleanField(label="Ride home arranged", required=False)


NOT_A_PRESCRIBER_OVERRIDE = (
    "Only a prescriber can override discharge criteria, so the override reason was not used and nothing "
    "was recorded. Leave it empty, or ask a prescriber to discharge."
)


class DischargeForm(forms.Form):
    """The door checks, and for a prescriber the reason to override unmet criteria.

    ``prescriber`` False leaves the override out (a nurse cannot override: a reason they send anyway is
    refused, not dropped); ``hard_minimum_min`` names a route's observation minimum no override passes.
    """

    ride_present = forms.BooleanField(label="The ride home is here", required=False)
    instructions_given = forms.BooleanField(
        label="Discharge instructions given and explained", required=False
    )
    override_reason = forms.CharField(label="Prescriber override reason", required=False, max_length=1000)

    def __init__(
        self, *args: Any, prescriber: bool = True, hard_minimum_min: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.prescriber = prescriber
        if not prescriber:
            del self.fields["override_reason"]
        elif hard_minimum_min is not None:
            self.fields["override_reason"].label = (
                f"Prescriber override reason (not possible for this route's {hard_minimum_min}-minute "
                "minimum observation)"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.prescriber:
            if str(self.data.get("override_reason", "")).strip():
                raise forms.ValidationError(NOT_A_PRESCRIBER_OVERRIDE, code="not_a_prescriber")
            data["override_reason"] = ""
        return data


class CancelForm(forms.Form):
    cancel_reason = forms.CharField(label="Reason", max_length=300)


class EnteredInErrorForm(forms.Form):
    """One run-sheet entry marked as entered in error, with the reason (the page's two-step control)."""

    kind = forms.ChoiceField(
        choices=[("vital", "vital"), ("observation", "observation"), ("adverse_event", "adverse_event")]
    )
    entry_id = forms.UUIDField()
    reason = forms.CharField(
        label="Why is this entry wrong?",
        max_length=ENTERED_IN_ERROR_REASON_MAX,
        error_messages={
            "required": (f"Say why the entry is wrong (at most {ENTERED_IN_ERROR_REASON_MAX} characters)"),
            "max_length": f"Write at most {ENTERED_IN_ERROR_REASON_MAX} characters.",
        },
    )


class EndPlanForm(forms.Form):
    """A prescriber ends the active plan: how, why, and the confirmation naming what gets cancelled.

    ``booked`` is the number of booked sessions the page said would be cancelled; the view refuses the
    confirmation when that number has changed since (a session booked or moved on meanwhile).
    """

    plan_id = forms.UUIDField(widget=forms.HiddenInput)
    booked = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    ended_as = forms.ChoiceField(
        label="How did the course end?",
        choices=TreatmentPlan.Ending.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose Completed or Discontinued.",
            "invalid_choice": "Choose Completed or Discontinued.",
        },
        help_text=(
            "Completed: the course went as planned (or ended at its review). Discontinued: it stopped "
            "before that."
        ),
    )
    end_reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"Write at most {MAX_TEXT} characters (this is %(show_value)d)."},
        # Optional for a discontinued course too: a patient who stops coming often gives no reason, and
        # a required box would be filled with a guess that later reads as fact.
        help_text=(
            "Shown with the ended plan to the next prescriber. For a discontinued course, write why when "
            "it is known (the patient's choice, side effects, no improvement, moved away). It is not "
            "required: a patient who stops coming often gives no reason, and a guess would read as fact."
        ),
    )
    confirm = forms.BooleanField(
        error_messages={"required": "Tick the box to confirm: ending the course cannot be undone."},
    )


YES_NO = [("", "—"), ("true", "Yes"), ("false", "No")]


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        required=False,
        coerce=lambda v: {"true": True, "false": False}.get(v),
        empty_value=None,
    )


class RemsAnswersForm(forms.Form):
    vitals_acceptable_before = _yes_no("Vital signs acceptable before administration")
    vitals_acceptable_end = _yes_no("Vital signs acceptable before the end of monitoring")
    sedation_occurred = _yes_no("Sedation occurred")
    dissociation_occurred = _yes_no("Dissociation occurred")
    respiratory_changes_occurred = _yes_no("Respiratory depression or changes occurred")
    ready_to_leave_min = forms.IntegerField(
        label="Without the 2-hour minimum, the patient would have been ready to leave after (min)",
        required=False,
    )
    benzodiazepines = _yes_no("Concomitant benzodiazepines")
    non_benzo_sedative_hypnotics = _yes_no("Concomitant non-benzodiazepine sedative hypnotics")
    psychostimulants = _yes_no("Concomitant psychostimulants")
    maois = _yes_no("Concomitant MAOIs")
    submit = forms.BooleanField(label="Submitted to the REMS (online or fax)", required=False)
    submission_reference = forms.CharField(label="Submission reference", required=False, max_length=80)


class SkipQuestionnaireForm(forms.Form):
    skip_reason = forms.CharField(
        label="Reason it was not done",
        max_length=300,
        error_messages={
            "required": "Say why the questionnaire was not done.",
            "max_length": "Write at most 300 characters.",
        },
    )


def parse_answers(instrument: Any, data: Any) -> tuple[dict[str, int], list[str]]:
    """Read one answer per item of a core instrument from a form body.

    Every error names the item (number and id) and its allowed values; the core scores the result.
    """
    answers: dict[str, int] = {}
    errors: list[str] = []
    for number, item in enumerate(instrument.items, 1):
        allowed = ", ".join(str(v) for v in item.allowed_values)
        raw = (data.get(item.id) or "").strip()
        if not raw:
            if item.required:
                errors.append(f"Question {number} ({item.id}) needs an answer: one of {allowed}.")
            continue
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value not in item.allowed_values:
            errors.append(f"Question {number} ({item.id}): {raw[:10]!r} is not one of {allowed}.")
            continue
        answers[item.id] = value
    return answers, errors
