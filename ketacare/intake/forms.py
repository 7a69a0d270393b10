"""HTML forms for the intake page: they parse and shape input; the services check it and write."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone

from ketacare.core import instruments as core_instruments
from ketacare.core import knowledge as core_knowledge
from ketacare.core.course import WEIGHT_KG_RANGE
from ketacare.core.knowledge.search import contains_phrase, words
from ketacare.intake.models import HEIGHT_CM_RANGE, Consent, Indication, Intake, ScreeningAssessment
from ketacare.intake.selectors import CLINIC_PRACTICE_WORDS, checklist, drug_classes
from ketacare.intake.services import (
    MAX_MEDICATION_CHARS,
    MAX_MEDICATIONS,
    MAX_NOTE_CHARS,
    MAX_TEXT_CHARS,
    NO_MEDICINES_LABEL,
    SIGNED_FORM_SEEN_REQUIRED,
    consent_route_choices,
)

# Questionnaires offered as baselines on the intake page. MOAA/S and the daily mood scale are
# in-session and daily instruments, not baselines.
NOT_BASELINE = {"moaas", "daily_mood"}


# Shown first: the depression baseline every course is measured against.
FIRST_BASELINE = "phq9"


def baseline_instruments() -> list[Any]:
    """The core's instruments that make sense as a baseline: PHQ-9 first, then the core's order."""
    offered = [
        instrument for instrument in core_instruments.instruments() if instrument.id not in NOT_BASELINE
    ]
    return sorted(offered, key=lambda instrument: instrument.id != FIRST_BASELINE)


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the clinic's zone (blank means now)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(*args, **kwargs)


class ZonedForm(forms.Form):
    """A form whose local times are read in a clinic's IANA zone."""

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zoneinfo.ZoneInfo(time_zone)

    def aware(self, value: dt.datetime | None) -> dt.datetime | None:
        """The local wall-clock time made aware in the clinic's zone (None stays None: "now")."""
        if value is None:
            return None
        if timezone.is_aware(value):
            value = timezone.make_naive(value, timezone=dt.UTC)
        return value.replace(tzinfo=self.zone)


# What the sex select offers before anything is chosen: no sex is ever preselected on its own, since a
# nurse saving the rest of the box would record it without having chosen it.
CHOOSE_SEX = ("", "Choose…")
_SEX_LABELS = [str(label) for _, label in Intake.Sex.choices]


class DemographicsForm(forms.Form):
    sex = forms.ChoiceField(
        choices=[CHOOSE_SEX, *Intake.Sex.choices],
        error_messages={"required": f"Required: choose {', '.join(_SEX_LABELS[:-1])} or {_SEX_LABELS[-1]}."},
    )
    height_cm = forms.DecimalField(
        required=False,
        max_digits=4,
        decimal_places=1,
        label="Height (cm)",
        help_text=f"{HEIGHT_CM_RANGE[0]:g}–{HEIGHT_CM_RANGE[1]:g} cm",
        widget=forms.NumberInput(
            attrs={
                "step": "0.1",
                "min": HEIGHT_CM_RANGE[0],
                "max": HEIGHT_CM_RANGE[1],
                "inputmode": "decimal",
            }
        ),
    )
    indications = forms.MultipleChoiceField(
        choices=Indication.choices, widget=forms.CheckboxSelectMultiple, label="Conditions to treat"
    )
    indication_other = forms.CharField(required=False, max_length=200, label="Other condition")
    japanese_ancestry = forms.BooleanField(
        required=False,
        label="Japanese ancestry",
        help_text=f"Esketamine may start at 28 mg, as for age 65 and over. {CLINIC_PRACTICE_WORDS}.",
    )
    previous_treatments = forms.CharField(
        required=False,
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Previous treatments",
        help_text="Antidepressants, therapies, ECT/TMS, earlier ketamine: what, how long, what happened.",
    )


class WeightForm(ZonedForm):
    weight_kg = forms.DecimalField(
        max_digits=4,
        decimal_places=1,
        label="Weight (kg)",
        help_text=f"{WEIGHT_KG_RANGE[0]:g}–{WEIGHT_KG_RANGE[1]:g} kg",
        widget=forms.NumberInput(
            attrs={
                "step": "0.1",
                "min": WEIGHT_KG_RANGE[0],
                "max": WEIGHT_KG_RANGE[1],
                "inputmode": "decimal",
            }
        ),
    )
    measured_at = LocalDateTimeField(label="Measured at", help_text="Clinic time; blank means now.")


class MedicationsForm(forms.Form):
    medications = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Current medications",
        help_text="One per line, as written on the bottle (e.g. “lorazepam 1 mg at night”).",
        max_length=MAX_MEDICATIONS * (MAX_MEDICATION_CHARS + 1),
    )
    drug_classes = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Medicine classes this patient takes",
        help_text=(
            "Tick a class when a medicine listed above belongs to it but is not flagged under "
            "Interaction flags below. Applies to this patient's list only."
        ),
    )
    no_medicines = forms.BooleanField(
        required=False,
        label=NO_MEDICINES_LABEL,
        help_text="The patient told you they take no medicines, prescribed or bought, at all.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["drug_classes"].choices = [(i.id, i.name) for i in drug_classes()]  # type: ignore[attr-defined]

    def medication_lines(self) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data.get("medications", "").splitlines() if line.strip()
        ]


class ScreeningForm(forms.Form):
    conditions = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Present now or in the past"
    )
    # Not required here: the service refuses it unticked together with anything else missing.
    all_items_asked = forms.BooleanField(
        required=False,
        label="I asked the patient about every item on this list",
        help_text="An unticked item is recorded as the patient's “no”.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["conditions"].choices = [(c.id, c.name) for c in checklist()]  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    assessment = forms.UUIDField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=ScreeningAssessment.Eligibility.choices, widget=forms.RadioSelect, label="Decision"
    )
    note = forms.CharField(
        required=False,
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note",
        help_text="Required with precautions: how they will be handled.",
    )
    change_reason = forms.CharField(
        required=False,
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for changing the decision",
        help_text="Required to change a decision already recorded (kept with the earlier decision, audited).",
    )

    def __init__(
        self, *args: Any, allowed: tuple[str, ...] | None = None, changing: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not changing:
            # A first decision has nothing to change: the reason field is for changing one.
            del self.fields["change_reason"]
        if allowed is not None:
            # Offer only what may be decided on this screening (never more permissive than the core).
            self.fields["decision"].choices = [  # type: ignore[attr-defined]
                (value, label) for value, label in ScreeningAssessment.Eligibility.choices if value in allowed
            ]


# The recorder's word that a signed paper exists: the page records no consent without it.
SIGNED_FORM_SEEN_LABEL = (
    "I have seen the consent form signed by the person named under “Signed by”, "
    "and it is filed in the clinic's records"
)


class ConsentForm(forms.Form):
    document_version = forms.CharField(max_length=40, label="Consent document version")
    # Not prefilled: the date is the one written on the signed form, which the form cannot guess.
    signed_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Signed on",
        help_text="The date written on the signed form.",
        error_messages={"required": "Required: enter the date written on the signed form."},
    )
    signer_name = forms.CharField(max_length=200, label="Signed by")
    signer_relationship = forms.ChoiceField(
        choices=Consent.Relationship.choices,
        label="Signer is",
        help_text="A patient under 18 on the signing date does not sign: a parent or legal guardian does.",
    )
    routes = forms.MultipleChoiceField(
        # Every route a protocol may use (the core's), so a plan on any protocol can have its consent.
        choices=consent_route_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Routes this consent covers",
        help_text="A treatment plan needs a consent that covers its route.",
    )
    signed_form_seen = forms.BooleanField(
        label=SIGNED_FORM_SEEN_LABEL,
        help_text="Nothing is recorded without this tick: KetaCare's consent stands for the signed paper.",
        error_messages={"required": SIGNED_FORM_SEEN_REQUIRED},
    )


class BaselineForm(ZonedForm):
    """One questionnaire's items as radio buttons; the instrument comes from the core."""

    completed_at = LocalDateTimeField(label="Completed at", help_text="Clinic time; blank means now.")

    def __init__(self, *args: Any, instrument: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.prefix = instrument.id
        for number, item in enumerate(instrument.items, start=1):
            self.fields[item.id] = forms.TypedChoiceField(
                label=f"{number}. {item.text}",
                choices=[(option.value, option.label) for option in item.options],
                coerce=int,
                required=item.required,
                widget=forms.RadioSelect,
            )

    def answers(self) -> dict[str, int]:
        return {
            item.id: self.cleaned_data[item.id]
            for item in self.instrument.items
            if self.cleaned_data.get(item.id) not in (None, "")
        }


class EnteredInErrorForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k, k) for k in ("intake", "weight", "medications", "screening", "consent", "baseline")]
    )
    record = forms.UUIDField()
    reason = forms.CharField(max_length=500)


class WithdrawConsentForm(forms.Form):
    record = forms.UUIDField()
    reason = forms.CharField(max_length=500, label="How the patient withdrew consent, and when")


def _classification_choices() -> list[tuple[str, str]]:
    interactions = [(i.id, i.name) for i in core_knowledge.interactions()]
    return [("no_interaction", "No interaction (none of these classes applies)"), *interactions]


class ClassifyMedicineForm(forms.Form):
    """A prescriber's answer for the clinic: the medicine ``name`` (words of the unrecognised ``line``)
    belongs to an interaction class, or to none."""

    name = forms.CharField(max_length=200, label="Medicine name")
    class_id = forms.ChoiceField(choices=_classification_choices, label="Interaction class")
    # The unrecognised line the answer is for (the page sends it; the answer is kept under ``name``).
    line = forms.CharField(required=False, max_length=MAX_MEDICATION_CHARS, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name, line = cleaned.get("name", ""), cleaned.get("line", "")
        # A name that is not words of the line would leave the line unrecognised and classify
        # something else for every patient of the clinic.
        if name and line and not contains_phrase(words(line), words(name)):
            self.add_error(
                "name", f"“{name}” is not in “{line}”: give words of that line, such as the medicine's name."
            )
        return cleaned
