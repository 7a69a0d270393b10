"""/accounts/me/: a signed-in patient sees the e-mail they log in with and changes their password; this
session stays signed in, every other one ends, and each outcome is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.audit.models import AccessEvent

pytestmark = pytest.mark.django_db
OLD_PASSWORD = "an old patient password"  # noqa: S105 - test data only
NEW_PASSWORD = "a new patient password 2026"  # noqa: S105 - test data only
URL = "/accounts/me/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Wrong current passwords count in the cache; each test starts (and leaves) it empty.
    cache.clear()
    yield
    cache.clear()


def _signed_in_twice(personas: Any) -> tuple[Client, Client]:
    user = personas.a1.user
    user.set_password(OLD_PASSWORD)
    user.save()
    return login(Client(), user), login(Client(), user)


def _change(client: Client, old: str, new: str, again: str | None = None) -> Any:
    data = {"old_password": old, "new_password1": new, "new_password2": new if again is None else again}
    return client.post(URL, data)


def test_the_account_page_shows_the_email_and_is_in_the_patients_menu(personas: Any, client_for: Any) -> None:
    assert reverse("accounts:my_account") == URL
    client = client_for("a1")
    page = client.get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="account-email">patient.a1@example.org<' in text
    assert 'data-testid="account-zone">New York time<' in text
    assert "Change your password" in text and 'autocomplete="current-password"' in text
    home = client.get(reverse("companion:home")).content.decode()
    assert f'<a href="{URL}">My account</a>' in home
    assert 'aria-current="page">My account</a>' in text


def test_staff_have_no_patient_account_page(client_for: Any) -> None:
    assert client_for("clinician_a").get(URL).status_code == 404
    assert client_for("anonymous").get(URL)["Location"].startswith("/accounts/login/")


def test_changing_the_password_keeps_this_session_and_ends_the_others(personas: Any) -> None:
    this_phone, other_phone = _signed_in_twice(personas)
    done = _change(this_phone, OLD_PASSWORD, NEW_PASSWORD)
    assert done.status_code == 302 and done["Location"] == URL
    user = personas.a1.user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(OLD_PASSWORD)
    page = this_phone.get(URL)
    assert page.status_code == 200, "this phone stays signed in"
    flashed = [str(m) for m in page.context["messages"]]
    assert flashed == [
        "Your password has been changed. Any other phone or computer signed in to your account has "
        "been signed out."
    ]
    assert other_phone.get(URL)["Location"].startswith("/accounts/login/"), "the other session ended"
    live = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert live == [str(user.pk)], "one session of the patient left: this phone's"
    row = AccessEvent.objects.get(object_type="password_change")
    assert (row.action, row.outcome, row.user_email) == ("write", "success", "patient.a1@example.org")
    assert NEW_PASSWORD not in str(row.__dict__)
    # The new password logs in.
    again = Client().post(reverse("accounts:login"), {"username": user.email, "password": NEW_PASSWORD})
    assert again.status_code == 302


@pytest.mark.parametrize(
    ("old", "new", "again", "field", "shown"),
    [
        (
            "not my password",
            NEW_PASSWORD,
            None,
            "old_password",
            "That is not your current password: type the password you log in with.",
        ),
        (OLD_PASSWORD, "short", None, "new_password1", "Too short: 5 characters; at least 8 are required"),
        (OLD_PASSWORD, "83920174650183", None, "new_password1", "This password is entirely numeric."),
        (
            OLD_PASSWORD,
            NEW_PASSWORD,
            "a different one 2026",
            "new_password2",
            "The two new passwords differ: type the same password twice.",
        ),
    ],
)
def test_a_refused_change_names_the_field_and_changes_nothing(
    personas: Any, old: str, new: str, again: str | None, field: str, shown: str
) -> None:
    this_phone, other_phone = _signed_in_twice(personas)
    refused = _change(this_phone, old, new, again)
    assert refused.status_code == 400
    assert refused.context["form"].errors[field] == [shown]
    assert shown.replace("'", "&#x27;") in refused.content.decode()
    personas.a1.user.refresh_from_db()
    assert personas.a1.user.check_password(OLD_PASSWORD)
    assert other_phone.get(URL).status_code == 200, "nothing ended"
    outcomes = list(
        AccessEvent.objects.filter(object_type="password_change").values_list("outcome", flat=True)
    )
    assert outcomes == (["failure"] if field == "old_password" else [])


def test_wrong_current_passwords_end_the_session_after_as_many_tries_as_a_login(personas: Any) -> None:
    this_phone, _ = _signed_in_twice(personas)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _change(this_phone, "a guess at it", NEW_PASSWORD).status_code == 400
    out = _change(this_phone, "one more guess", NEW_PASSWORD)
    assert out.status_code == 302 and out["Location"] == reverse("accounts:login")
    assert this_phone.get(URL)["Location"].startswith("/accounts/login/")
    personas.a1.user.refresh_from_db()
    assert personas.a1.user.check_password(OLD_PASSWORD)
    failures = AccessEvent.objects.filter(object_type="password_change", outcome="failure").count()
    assert failures == settings.AXES_FAILURE_LIMIT + 1


def test_the_account_page_leads_to_reminders_and_support_people(personas, client_for):
    page = client_for("a1").get(reverse("accounts:my_account")).content.decode()
    assert reverse("notifications:preferences") in page and reverse("support:manage") in page
