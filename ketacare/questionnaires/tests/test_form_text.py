"""What a patient reads above a questionnaire's first question."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_recall_period_is_said_once_when_the_instructions_name_it(client_for: Any) -> None:
    page = client_for("a1").get(reverse("questionnaires:fill", args=["phq9"])).content.decode()
    assert "Over the last 2 weeks, how often have you been bothered" in page
    assert page.count("the last 2 weeks") == 1
    assert "Think about" not in page


def test_the_recall_period_is_given_when_the_instructions_do_not_name_it(client_for: Any) -> None:
    page = client_for("a1").get(reverse("questionnaires:fill", args=["bpi_sf"])).content.decode()
    assert "Think about the last 24 hours." in page
