"""ketacare.lib.forms.add_field_error: a service's refusal on a form, worded for a person."""

from __future__ import annotations

import pytest
from django import forms

from ketacare.lib.errors import ConflictError, FieldError
from ketacare.lib.forms import add_field_error


class _Form(forms.Form):
    phone = forms.CharField(label="Clinic phone")
    emergency_number = forms.CharField(label="Emergency number")
    email = forms.CharField(label="E-mail")
    note = forms.CharField(label="Note")
    text = forms.CharField(label="Text")
    record = forms.CharField(label="Record", widget=forms.HiddenInput)


def _bound() -> _Form:
    form = _Form(
        {"phone": "x", "emergency_number": "x", "email": "x", "note": "x", "text": "x", "record": "x"}
    )
    assert form.is_valid()
    return form


@pytest.mark.parametrize(
    ("error", "field", "shown"),
    [
        (
            FieldError("phone", "phone: give a mobile number to get text messages"),
            "phone",
            "Give a mobile number to get text messages",
        ),
        (
            FieldError("emergency_number", "emergency_number may hold digits, spaces and + - ( ) . / only"),
            "emergency_number",
            "May hold digits, spaces and + - ( ) . / only",
        ),
        (
            FieldError("emergency_number", "Emergency_Number: needs at least 2 digits"),
            "emergency_number",
            "Needs at least 2 digits",
        ),
        (FieldError("note", "note is required: say what was done"), "note", "Required: say what was done"),
        (
            FieldError("text", "text is empty: write 1 to 10000 characters"),
            "text",
            "Empty: write 1 to 10000 characters",
        ),
        (
            FieldError("email", "email: 'x' is not an e-mail address (name@example.org)"),
            "email",
            "'x' is not an e-mail address (name@example.org)",
        ),
        # An address keeps its case; so does a message that does not start with the name.
        (
            ConflictError("email", "email: a.b@example.org is already staff at Clinic A"),
            "email",
            "a.b@example.org is already staff at Clinic A",
        ),
        (FieldError("phone", "set both numbers, or neither"), "phone", "Set both numbers, or neither"),
        # Only the whole name: "phones" is not "phone".
        (FieldError("phone", "phones are checked daily"), "phone", "Phones are checked daily"),
    ],
)
def test_an_error_on_a_field_of_the_form_is_worded_without_its_name(
    error: FieldError, field: str, shown: str
) -> None:
    form = _bound()
    add_field_error(form, error)
    assert form.errors == {field: [shown]}
    assert form.non_field_errors() == []


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (
            FieldError("after_hours_phone", "after_hours_phone may hold digits only"),
            "After hours phone may hold digits only",
        ),
        (FieldError("clinics", "clinics: choose at least one clinic"), "Clinics: choose at least one clinic"),
        (
            FieldError("record", "record: this entry changed meanwhile"),
            "Record: this entry changed meanwhile",
        ),
        (
            ConflictError("", "this installation is already set up: it has a clinic"),
            "This installation is already set up: it has a clinic",
        ),
    ],
)
def test_an_error_on_no_visible_field_names_the_field_in_words_above_the_form(
    error: FieldError, shown: str
) -> None:
    form = _bound()
    add_field_error(form, error)
    assert form.non_field_errors() == [shown]
    assert set(form.errors) == {"__all__"}


def test_the_label_names_a_hidden_field() -> None:
    form = _bound()
    form.fields["record"].label = "Session record"
    add_field_error(form, FieldError("record", "record is locked by another user"))
    assert form.non_field_errors() == ["Session record is locked by another user"]
