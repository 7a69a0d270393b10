"""The controlled-drug register: stock, an append-only ledger tied to the dosing record, counts, losses.

Amounts are kept in mg (Decimal, two places) for every product so that a ketamine vial's partial use
and an esketamine device (28 mg) add up in one column; the product says how many mg one unit (vial or
device) holds, and pages show units beside mg. A ledger ``Entry`` is never updated or deleted: the
model and its queryset refuse it, and a database trigger (migration 0002) refuses it too. A mistake is
put right by a new, reasoned, witnessed correction entry.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q


class Product(models.Model):
    """A stocked presentation: a ketamine HCl vial (mg/ml x ml) or an esketamine 28 mg nasal device."""

    class Kind(models.TextChoices):
        KETAMINE_VIAL = "ketamine_vial", "Ketamine hydrochloride vial"
        ESKETAMINE_DEVICE = "esketamine_device", "Esketamine nasal device"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120)
    concentration_mg_per_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    mg_per_unit = models.DecimalField(max_digits=9, decimal_places=2)
    units_per_pack = models.PositiveSmallIntegerField(default=1)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(mg_per_unit__gt=0), name="register_product_mg_positive"),
            models.CheckConstraint(
                condition=Q(kind="esketamine_device") | Q(concentration_mg_per_ml__gt=0, volume_ml__gt=0),
                name="register_vial_has_concentration_and_volume",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_device(self) -> bool:
        return self.kind == self.Kind.ESKETAMINE_DEVICE

    @property
    def unit_label(self) -> str:
        return "device" if self.is_device else "vial"


class StorageLocation(models.Model):
    """A locked safe or cabinet of one clinic where controlled drugs are kept."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="register_location_name_per_clinic"),
        ]

    def __str__(self) -> str:
        return self.name


class RegisterSettings(models.Model):
    """A clinic keeps its register in KetaCare: the jurisdiction whose rules apply (jurisdictions.toml).

    Without a row the clinic does not use the register and doses are recorded as before.
    """

    clinic = models.OneToOneField("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    jurisdiction = models.CharField(max_length=10)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"register rules: {self.jurisdiction}"


class Lot(models.Model):
    """A manufacturer's lot of a product with its expiry date."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    number = models.CharField(max_length=40)
    expires_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="register_lot_number_per_product"),
        ]

    def __str__(self) -> str:
        return self.number


class Receipt(models.Model):
    """A delivery received into a location: supplier, invoice or order-form number, quantity, receiver."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="receipts")
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="+")
    supplier = models.CharField(max_length=120)
    invoice_number = models.CharField(max_length=60)
    units = models.PositiveIntegerField()
    received_on = models.DateField()
    received_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0), name="register_receipt_units_positive")
        ]

    def __str__(self) -> str:
        return f"receipt of {self.units} unit(s) on {self.received_on}"


class Draw(models.Model):
    """Units taken from a location for one treatment session; closed when the remainder is accounted for.

    The ledger moves when a dose is administered from it and when its remainder is wasted; until then
    the drawn units are out of the safe, so a count expects the balance minus what is still drawn.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "treatments.TreatmentSession", on_delete=models.PROTECT, related_name="register_draws"
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="draws")
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="+")
    units = models.PositiveSmallIntegerField()
    drawn_mg = models.DecimalField(max_digits=9, decimal_places=2)
    drawn_at = models.DateTimeField()
    drawn_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0), name="register_draw_units_positive"),
        ]
        indexes = [
            # Open draws of a lot at a location: what a count and a new draw subtract from the balance.
            models.Index(fields=["lot", "location", "closed_at"], name="register_draw_open_idx"),
        ]

    def __str__(self) -> str:
        return f"draw of {self.units} unit(s) at {self.drawn_at:%Y-%m-%d %H:%M}"


class StockCount(models.Model):
    """A blind count of one location: the counter enters what is there without seeing the balance."""

    class Kind(models.TextChoices):
        DAILY = "daily", "End of day"
        WEEKLY = "weekly", "Weekly"
        INVENTORY = "inventory", "Full inventory (e.g. the US biennial inventory)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    counted_at = models.DateTimeField()
    counted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "-counted_at"], name="register_count_clinic_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} count at {self.counted_at:%Y-%m-%d %H:%M}"


class CountLine(models.Model):
    """One lot in a count: expected (balance minus open draws) against counted units."""

    count = models.ForeignKey(StockCount, on_delete=models.PROTECT, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    counted_units = models.PositiveIntegerField()
    counted_mg = models.DecimalField(max_digits=11, decimal_places=2)
    expected_mg = models.DecimalField(max_digits=11, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.counted_units} unit(s) counted"

    @property
    def difference_mg(self) -> Decimal:
        return self.counted_mg - self.expected_mg


class Discrepancy(models.Model):
    """A count that did not match: open until an administrator or prescriber writes the investigation."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATED = "investigated", "Investigated"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    line = models.OneToOneField(CountLine, on_delete=models.PROTECT, related_name="discrepancy")
    difference_mg = models.DecimalField(max_digits=11, decimal_places=2)
    state = models.CharField(max_length=14, choices=State.choices, default=State.OPEN)
    raised_at = models.DateTimeField()
    investigation_note = models.TextField(blank=True)
    investigated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    investigated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The open discrepancies banner of a clinic's register pages.
            models.Index(fields=["clinic", "state"], name="register_discrepancy_idx"),
        ]

    def __str__(self) -> str:
        return f"count difference of {self.difference_mg} mg ({self.get_state_display()})"


class LossReport(models.Model):
    """A theft or significant loss, with the notification deadlines of the clinic's jurisdiction."""

    class Kind(models.TextChoices):
        THEFT = "theft", "Theft"
        LOSS = "loss", "Significant loss"
        IN_TRANSIT = "in_transit", "Loss in transit"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    amount_mg = models.DecimalField(max_digits=11, decimal_places=2)
    discovered_at = models.DateTimeField()
    description = models.TextField()
    jurisdiction = models.CharField(max_length=10)
    # Computed from jurisdictions.toml when the report is made; each names its rule and source.
    deadlines = models.JSONField(default=list)
    discrepancy = models.ForeignKey(
        Discrepancy, on_delete=models.PROTECT, null=True, blank=True, related_name="loss_reports"
    )
    reported_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    authority_notified_at = models.DateTimeField(null=True, blank=True)
    authority_reference = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.amount_mg} mg"


class EntryQuerySet(models.QuerySet["Entry"]):
    def update(self, **kwargs: Any) -> int:
        raise LedgerIsAppendOnly("register entries are never edited: record a witnessed correction")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LedgerIsAppendOnly("register entries are never deleted: record a witnessed correction")


class LedgerIsAppendOnly(RuntimeError):
    """A programming error: something tried to edit or delete a register entry."""


class Entry(models.Model):
    """One line of the register for a lot at a location, with the balance after it. Append-only."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Received"
        ADMINISTRATION = "administration", "Administered"
        WASTE = "waste", "Wasted (witnessed)"
        RETURN = "return", "Returned unopened to the safe"
        CORRECTION = "correction", "Correction (witnessed)"
        COUNT = "count", "Counted"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="entries")
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Signed: a receipt adds, an administration or waste takes away, a count or return moves nothing.
    change_mg = models.DecimalField(max_digits=11, decimal_places=2)
    balance_after_mg = models.DecimalField(max_digits=11, decimal_places=2)
    occurred_at = models.DateTimeField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    session = models.ForeignKey(
        "treatments.TreatmentSession", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # One entry per administration in the dosing record, and none without one (the unique key).
    dose = models.OneToOneField(
        "treatments.DoseAdministration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="register_entry",
    )
    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    receipt = models.OneToOneField(
        Receipt, on_delete=models.PROTECT, null=True, blank=True, related_name="entry"
    )
    count_line = models.OneToOneField(
        CountLine, on_delete=models.PROTECT, null=True, blank=True, related_name="entry"
    )
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[models.Manager[Entry]] = models.Manager.from_queryset(EntryQuerySet)()  # type: ignore[assignment]

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after_mg__gte=0), name="register_balance_never_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="administration") | Q(dose__isnull=False, change_mg__lt=0),
                name="register_administration_has_dose",
            ),
            models.CheckConstraint(
                condition=Q(dose__isnull=True) | Q(kind="administration"),
                name="register_dose_only_on_administration",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["waste", "correction"]) | Q(witness__isnull=False),
                name="register_waste_and_correction_witnessed",
            ),
            models.CheckConstraint(
                condition=Q(witness__isnull=True) | ~Q(witness=models.F("recorded_by")),
                name="register_witness_is_another_person",
            ),
        ]
        indexes = [
            # The running balance of a lot at a location: its last entry.
            models.Index(fields=["lot", "location", "-id"], name="register_entry_balance_idx"),
            # The register page and extract: a clinic's entries in a period.
            models.Index(fields=["clinic", "occurred_at"], name="register_entry_clinic_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.change_mg} mg, balance {self.balance_after_mg} mg"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise LedgerIsAppendOnly("register entries are never edited: record a witnessed correction")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise LedgerIsAppendOnly("register entries are never deleted: record a witnessed correction")
