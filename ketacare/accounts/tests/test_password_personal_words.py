"""A password that is only the person's name, e-mail or the service's name plus digits is refused.

Django's similarity check compares the whole password with each part of the e-mail, so
"mariagarcia2026" passed it; NIST SP 800-63B asks for context-specific words to be refused.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.accounts.models import User
from ketacare.accounts.services import password_errors

REFUSED_WORDS = "mostly your name, your e-mail address or this service's name"


def _user() -> User:
    return User(email="maria.garcia@example.org", full_name="María García")


@pytest.mark.parametrize(
    "password",
    [
        "mariagarcia2026",
        "garcia-maria-1990",
        "MariaGarcia!!2026",
        "Garcia2026garcia",
        "ketacare-2026!",
        "GARCÍA.2026.maria",
    ],
)
def test_name_email_or_service_with_digits_is_refused(password: str) -> None:
    assert REFUSED_WORDS in password_errors(password, _user())


@pytest.mark.parametrize(
    "password", ["correct horse battery", "maria loves tea 2026", "7#9!2$a8b&4%1^", "Xy7#qL9!mB22"]
)
def test_other_passwords_are_not_refused_for_it(password: str) -> None:
    assert REFUSED_WORDS not in password_errors(password, _user())


@pytest.mark.django_db
def test_the_account_page_names_the_rule_under_the_new_password_and_keeps_the_old_one(personas) -> None:
    user = personas.a1.user
    user.set_password("an old patient password 2025")
    user.save()
    client = login(Client(), user)
    local = user.email.split("@")[0]
    response = client.post(
        reverse("accounts:my_account"),
        {
            "old_password": "an old patient password 2025",
            "new_password1": f"{local}2026!!",
            "new_password2": f"{local}2026!!",
        },
    )
    assert response.status_code == 400
    (message,) = response.context["form"].errors["new_password1"]
    assert "mostly your name, your e-mail address or this service's name" in message.lower()
    user.refresh_from_db()
    assert user.check_password("an old patient password 2025")
