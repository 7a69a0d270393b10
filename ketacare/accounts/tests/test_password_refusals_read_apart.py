"""A password several rules refuse: each refusal reads as its own sentence, not run into the next
("... at least 12 are required This password is too common.")."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.accounts.services import password_errors

pytestmark = pytest.mark.django_db
SHORT_AND_COMMON = "password"  # noqa: S105 - refused twice: 8 characters for staff, and on the common list


def _errors(response) -> list[str]:
    return [
        html.unescape(e)
        for e in re.findall(r'<span class="field-error" role="alert">(.*?)</span>', response.content.decode())
    ]


def test_each_refusal_is_a_sentence_of_its_own(personas):
    assert password_errors(SHORT_AND_COMMON, personas.clinician_a) == (
        "Password is too short: 8 characters; at least 12 are required. This password is too common."
    )


def test_the_staff_invitation_page_shows_every_refusal_punctuated(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    admin = login(Client(), personas.admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            reverse("clinics:staff_invite"),
            {"email": "nina@example.org", "role": "nurse", "clinics": [str(personas.clinic_a.public_id)]},
        )
    link = re.search(r"https?://[^/\s]+(/\S+)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    response = Client().post(
        link, {"full_name": "Nina Nurse", "password": SHORT_AND_COMMON, "confirm": SHORT_AND_COMMON}
    )
    assert response.status_code == 400
    assert _errors(response) == [
        "Password is too short: 8 characters; at least 12 are required. This password is too common."
    ]
