"""HTML input for the register; the services hold the rules, the forms only parse."""

from __future__ import annotations

from typing import Any

from django import forms

from ketacare.register import rules
from ketacare.register.models import LossReport, Product, StockCount
from ketacare.treatments.forms import LocalDateTimeField

# A register period lies within these years; year 1 or 9999 cannot be a day of a register.
FIRST_YEAR, LAST_YEAR = 2000, 2200


def _choices(rows: Any, label: Any) -> list[tuple[str, str]]:
    return [(str(r.public_id), label(r)) for r in rows]


class ReceiveForm(forms.Form):
    product = forms.ChoiceField()
    location = forms.ChoiceField()
    lot_number = forms.CharField(max_length=40, label="Lot number")
    expires_on = forms.DateField(label="Expiry date", widget=forms.DateInput(attrs={"type": "date"}))
    units = forms.IntegerField(min_value=1, max_value=10_000, label="Quantity (vials or devices)")
    supplier = forms.CharField(max_length=120)
    invoice_number = forms.CharField(max_length=60, label="Invoice or order-form number")
    received_on = forms.DateField(label="Date received", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, products: Any, places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _choices(products, lambda p: p.name)  # type: ignore[attr-defined]
        self.fields["location"].choices = _choices(places, lambda p: p.name)  # type: ignore[attr-defined]


class WitnessFields(forms.Form):
    """A second member of staff types their own e-mail, password and authenticator code here."""

    witness_email = forms.EmailField(label="Witness e-mail")
    witness_password = forms.CharField(
        label="Witness password", widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
    witness_code = forms.CharField(
        label="Witness authenticator code",
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class DrawForm(forms.Form):
    stock = forms.ChoiceField(label="Lot and location")
    units = forms.IntegerField(min_value=1, max_value=20, initial=1, label="Vials or devices drawn")

    def __init__(self, *args: Any, rows: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stock"].choices = [  # type: ignore[attr-defined]
            (
                f"{r.lot.public_id}:{r.location.public_id}",
                f"{r.lot.product.name} · lot {r.lot.number} (expires {r.lot.expires_on:%Y-%m-%d}) · {r.location.name}",
            )
            for r in rows
        ]


class CloseDrawForm(WitnessFields):
    draw = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, needs_witness: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not needs_witness:
            for name in ("witness_email", "witness_password", "witness_code"):
                self.fields[name].required = False


class CorrectionForm(WitnessFields):
    stock = forms.ChoiceField(label="Lot and location")
    change_mg = forms.DecimalField(max_digits=11, decimal_places=2, label="Change (mg, + or −)")
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, rows: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stock"].choices = [  # type: ignore[attr-defined]
            (
                f"{r.lot.public_id}:{r.location.public_id}",
                f"{r.lot.product.name} · lot {r.lot.number} · {r.location.name}",
            )
            for r in rows
        ]


class CountForm(forms.Form):
    """Blind: one number per lot, no expected balance anywhere on the form."""

    kind = forms.ChoiceField(choices=StockCount.Kind.choices, label="Count")

    def __init__(self, *args: Any, lots: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for lot in lots:
            self.fields[f"lot_{lot.public_id}"] = forms.IntegerField(
                min_value=0,
                max_value=10_000,
                label=f"{lot.product.name} · lot {lot.number}: {lot.product.unit_label}s counted",
            )


class InvestigationForm(forms.Form):
    discrepancy = forms.UUIDField(widget=forms.HiddenInput)
    investigation_note = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="Investigation note"
    )


class LossForm(forms.Form):
    kind = forms.ChoiceField(choices=LossReport.Kind.choices)
    lot = forms.ChoiceField(label="Lot")
    amount_mg = forms.DecimalField(max_digits=11, decimal_places=2, min_value=0, label="Amount (mg)")
    # Parsed naive, so the view reads it on the clinic's clock: Django's own field would attach the
    # server's zone (UTC) and shift the time by the clinic's offset.
    discovered_at = LocalDateTimeField(label="Discovered at (clinic time)")
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, lots: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lot"].choices = _choices(lots, lambda lot: f"{lot.product.name} · lot {lot.number}")  # type: ignore[attr-defined]

    def clean_discovered_at(self) -> Any:
        value = self.cleaned_data["discovered_at"]
        # Year 1 on a clock east of UTC is before the first instant a database can hold: refuse it here.
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise forms.ValidationError(f"discovered_at must be between {FIRST_YEAR} and {LAST_YEAR}")
        return value


class SettingsForm(forms.Form):
    jurisdiction = forms.ChoiceField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].choices = [(k, v["name"]) for k, v in rules.jurisdictions().items()]  # type: ignore[attr-defined]


class LocationForm(forms.Form):
    name = forms.CharField(max_length=80, label="Safe or cabinet name")


class ProductForm(forms.Form):
    kind = forms.ChoiceField(choices=Product.Kind.choices)
    concentration_mg_per_ml = forms.DecimalField(
        max_digits=7, decimal_places=2, required=False, label="Concentration (mg/ml, vials)"
    )
    volume_ml = forms.DecimalField(max_digits=7, decimal_places=2, required=False, label="Volume (ml, vials)")
    units_per_pack = forms.IntegerField(min_value=1, max_value=100, initial=1, label="Units per pack")


class PeriodForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    product = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, products: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "All products"), *_choices(products, lambda p: p.name)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            day = data.get(name)
            if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(name, f"{name} {day} must be between {FIRST_YEAR} and {LAST_YEAR}")
                data.pop(name, None)
        if data.get("start") and data.get("end"):
            if data["end"] < data["start"]:
                self.add_error("end", "the end date is before the start date")
            elif (data["end"] - data["start"]).days > 3 * 366:
                self.add_error("end", "a period is at most three years")
        return data
