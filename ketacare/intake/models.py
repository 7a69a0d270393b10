"""Intake and screening: demographics, weight, conditions, medications, screening, consent, baselines.

Every row carries ``clinic`` (the shard key) and ``patient``; the time the thing happened
(``measured_at``, ``assessed_at``, ``signed_on``, ``completed_at``) is kept apart from
``created_at``/``created_by``. A correction is a visible status (``entered_in_error``), never a delete.
Versioned records (intake, medication list, screening) keep their history: recording a new one marks
the previous ``superseded``.

The clinical content (which conditions are contraindications, which medicines interact, how a
questionnaire is scored) comes from ``ketacare.core``; these rows store its inputs and its results.
"""

from __future__ import annotations

from django.db import models

from ketacare.core.course import WEIGHT_KG_RANGE
from ketacare.patients.models import ClinicalRecord

# Plausible adult height, for input validation only (not a clinical limit): catches inches typed as
# centimetres and missing digits. The core holds no height range because no calculation uses height.
HEIGHT_CM_RANGE = (100.0, 250.0)


class Indication(models.TextChoices):
    """Why the patient is referred (the condition to be treated), not a screening finding."""

    TREATMENT_RESISTANT_DEPRESSION = "treatment_resistant_depression", "Treatment-resistant depression"
    MAJOR_DEPRESSION = "major_depression", "Major depression"
    BIPOLAR_DEPRESSION = "bipolar_depression", "Bipolar depression"
    ANXIETY = "anxiety", "Anxiety"
    PTSD = "ptsd", "PTSD"
    OCD = "ocd", "OCD"
    CHRONIC_PAIN = "chronic_pain", "Chronic pain"
    OTHER = "other", "Other"


class VersionStatus(models.TextChoices):
    """State of a versioned record: the current one, an older one, or a mistake."""

    CURRENT = "current", "Current"
    SUPERSEDED = "superseded", "Superseded"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class EntryStatus(models.TextChoices):
    """State of a one-off entry (a measurement, a signature, a score)."""

    VALID = "valid", "Valid"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class PatientRecord(ClinicalRecord):
    """What every intake row shares beyond ClinicalRecord's columns: patient, author, error marking."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # Who marked it entered in error, when and why (blank while valid).
    error_reason = models.CharField(max_length=500, blank=True)
    error_marked_at = models.DateTimeField(null=True, blank=True)
    error_marked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class Intake(PatientRecord):
    """Demographics and history at intake: sex, height, indications, previous treatments.

    Date of birth lives on ``Patient``; weight has its own dated history (``WeightMeasurement``).
    """

    class Sex(models.TextChoices):
        # FHIR administrative gender (http://hl7.org/fhir/administrative-gender).
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    status = models.CharField(max_length=20, choices=VersionStatus.choices, default=VersionStatus.CURRENT)
    recorded_at = models.DateTimeField(help_text="When the intake interview took place.")
    sex = models.CharField(max_length=10, choices=Sex.choices)
    height_cm = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    # Indication values (see Indication); validated by the service.
    indications = models.JSONField(default=list)
    indication_other = models.CharField(max_length=200, blank=True)
    previous_treatments = models.TextField(blank=True, max_length=4000)
    # Esketamine: a 28 mg start is allowed for Japanese ancestry as for age 65 and over — a KetaCare
    # default marked unverified (clinic practice) in core/knowledge/data/protocols.toml.
    japanese_ancestry = models.BooleanField(default=False)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(height_cm__isnull=True)
                | models.Q(height_cm__gte=HEIGHT_CM_RANGE[0], height_cm__lte=HEIGHT_CM_RANGE[1]),
                name="intake_height_cm_plausible",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="current"),
                name="intake_one_current_per_patient",
            ),
        ]
        indexes = [
            # The intake page: a patient's intakes, newest first (the current one on top).
            models.Index(fields=["patient", "status", "-recorded_at"], name="intake_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Intake {self.public_id} ({self.status})"

    def indication_labels(self) -> list[str]:
        """The indications as their display labels, in the stored order."""
        labels = dict(Indication.choices)
        return [str(labels.get(value, value)) for value in self.indications]


class WeightMeasurement(PatientRecord):
    """One body weight with the time it was measured (doses are computed from the latest valid one)."""

    status = models.CharField(max_length=20, choices=EntryStatus.choices, default=EntryStatus.VALID)
    weight_kg = models.DecimalField(max_digits=4, decimal_places=1)
    measured_at = models.DateTimeField()

    class Meta:
        ordering = ["-measured_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight_kg__gte=WEIGHT_KG_RANGE[0], weight_kg__lte=WEIGHT_KG_RANGE[1]),
                name="weight_kg_plausible",
            ),
        ]
        indexes = [
            # The latest valid weight of a patient (dose calculation, intake page history).
            models.Index(fields=["patient", "status", "-measured_at"], name="weight_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg at {self.measured_at:%Y-%m-%d %H:%M} ({self.status})"


class MedicationList(PatientRecord):
    """The patient's current medicines as written, the classes ticked, and the core's interaction flags.

    ``flags`` is what ``ketacare.core.screening.screen`` returned for these medicines (interaction
    reasons with their level, detail and sources); it is stored so the page shows what the clinician saw.
    """

    status = models.CharField(max_length=20, choices=VersionStatus.choices, default=VersionStatus.CURRENT)
    recorded_at = models.DateTimeField()
    medications = models.JSONField(default=list)  # free-text lines
    drug_classes = models.JSONField(default=list)  # interaction class ids from the core's screening data
    flags = models.JSONField(default=list)
    unrecognised_medications = models.JSONField(default=list)
    # The patient said they take no medicines: an empty list is then an answer, not a blank form.
    no_medicines = models.BooleanField(default=False)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="current"),
                name="medlist_one_current_per_patient",
            ),
        ]
        indexes = [
            # The intake page and the screening: a patient's current medication list.
            models.Index(fields=["patient", "status", "-recorded_at"], name="medlist_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Medication list {self.public_id} ({self.status})"


class ScreeningAssessment(PatientRecord):
    """The contraindication and precaution checklist, its result from the core, and the prescriber's decision.

    ``answers`` maps every checklist condition id to yes/no (so a "no" is recorded, not implied);
    ``eligibility``, ``reasons``, ``unrecognised_medications`` and ``rems_form_items`` are exactly what
    ``ketacare.core.screening.screen`` computed. The decision is a separate step by a prescriber.

    ``all_items_asked`` is the screener's statement that every checklist item was put to the patient, so
    an unticked item is the patient's "no" and not a question skipped; ``no_medicines`` that the list
    screened was empty because the patient takes none. Screenings recorded before either was asked for
    hold False.
    """

    class Eligibility(models.TextChoices):
        ELIGIBLE = "eligible", "Eligible"
        ELIGIBLE_WITH_PRECAUTIONS = "eligible_with_precautions", "Eligible with precautions"
        NOT_ELIGIBLE = "not_eligible", "Not eligible"

    status = models.CharField(max_length=20, choices=VersionStatus.choices, default=VersionStatus.CURRENT)
    assessed_at = models.DateTimeField()
    answers = models.JSONField(default=dict)
    all_items_asked = models.BooleanField(default=False)
    medications = models.JSONField(default=list)  # the medicine texts screened
    drug_classes = models.JSONField(default=list)  # the ticked classes screened
    no_medicines = models.BooleanField(default=False)
    eligibility = models.CharField(max_length=30, choices=Eligibility.choices)
    reasons = models.JSONField(default=list)
    unrecognised_medications = models.JSONField(default=list)
    rems_form_items = models.JSONField(default=list)
    # The prescriber's decision (blank until made).
    decision = models.CharField(max_length=30, choices=Eligibility.choices, blank=True)
    decision_note = models.TextField(blank=True, max_length=2000)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Earlier decisions on this screening when a prescriber changed it, oldest first: decision, note,
    # decided_by (public id), decided_at, and the change's reason (docs/decisions/0013).
    decision_history = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="current"),
                name="screening_one_current_per_patient",
            ),
            models.CheckConstraint(
                # A decision always names its prescriber and time, and only then.
                condition=(
                    models.Q(decision="", decided_by__isnull=True, decided_at__isnull=True)
                    | (~models.Q(decision="") & models.Q(decided_by__isnull=False, decided_at__isnull=False))
                ),
                name="screening_decision_complete",
            ),
        ]
        indexes = [
            # The intake page and the treatment plan: a patient's current screening.
            models.Index(fields=["patient", "status", "-assessed_at"], name="screening_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Screening {self.public_id}: {self.eligibility} ({self.status})"


class Consent(PatientRecord):
    """A signed treatment consent: which document version, when, by whom, in what capacity, which routes
    it covers, and whether the person who recorded it saw the signed form."""

    class Relationship(models.TextChoices):
        SELF = "self", "The patient"
        PARENT = "parent", "Parent"
        LEGAL_GUARDIAN = "legal_guardian", "Legal guardian"
        HEALTHCARE_PROXY = "healthcare_proxy", "Healthcare proxy"
        OTHER = "other", "Other legal representative"

    status = models.CharField(max_length=20, choices=EntryStatus.choices, default=EntryStatus.VALID)
    document_version = models.CharField(max_length=40)
    signed_on = models.DateField()
    signer_name = models.CharField(max_length=200)
    signer_relationship = models.CharField(max_length=20, choices=Relationship.choices)
    # The dosing routes this consent covers (treatments route ids); the plan gate needs the plan's route.
    routes = models.JSONField(default=list, blank=True)
    # The recorder's statement that they saw the form signed by ``signer_name`` and that it is filed in
    # the clinic's records: the intake form records nothing without it, so a consent on KetaCare stands
    # for a signed paper. Who stated it and when are ``created_by`` and ``created_at``. Consents recorded
    # before it was asked, and those a script records without it, hold False and the page says so.
    signed_form_seen = models.BooleanField(default=False)
    # A patient may withdraw consent at any time: the consent stays on record, covers nothing from then
    # on, and every later dose is held until a new consent is signed (docs/decisions/0013).
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        indexes = [
            # The intake page and the session check-in: a patient's valid consents, newest first.
            models.Index(fields=["patient", "status", "-signed_on"], name="consent_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Consent {self.document_version} signed {self.signed_on} ({self.status})"


class BaselineScore(PatientRecord):
    """A baseline questionnaire entered by staff: raw answers, instrument id and version, computed score.

    ``total``, ``band``, ``subscores`` and ``item_alerts`` are what ``ketacare.core.instruments.score``
    returned for ``answers``; with the id and version they can be recomputed.
    """

    status = models.CharField(max_length=20, choices=EntryStatus.choices, default=EntryStatus.VALID)
    instrument_id = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    completed_at = models.DateTimeField()
    answers = models.JSONField(default=dict)
    total = models.DecimalField(max_digits=7, decimal_places=2)
    band = models.CharField(max_length=80, blank=True)
    subscores = models.JSONField(default=dict)
    item_alerts = models.JSONField(default=list)

    class Meta:
        ordering = ["-completed_at", "-id"]
        indexes = [
            # Baseline lookup for change classification: a patient's valid scores per instrument.
            models.Index(
                fields=["patient", "instrument_id", "status", "-completed_at"], name="baseline_patient_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.total} ({self.status})"


class MedicineClassification(models.Model):
    """A prescriber's answer for a medicine KetaCare does not recognise, kept for the whole clinic.

    The core screens free text with these answers (an interaction class id, or "no_interaction") after
    its own class names, which always stand (``ketacare.core.screening.screen``).
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    # The core's key for the name (lower-case words), so "Zyxotrin 5 mg" and "zyxotrin 5mg" agree.
    name_key = models.CharField(max_length=200)
    class_id = models.CharField(max_length=60)
    classified_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    classified_at = models.DateTimeField()

    class Meta:
        ordering = ["name_key"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name_key"], name="medicine_class_clinic_name_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.name} -> {self.class_id}"
