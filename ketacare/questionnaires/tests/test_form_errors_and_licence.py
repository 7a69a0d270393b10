"""What a patient reads on a questionnaire form: which question is missing, in words, and no licence text.

A missing or unreadable answer names the question by its number and first words, above the form and
inside the question itself, where it is tied to that question's answers for screen readers. Licence
and copyright notes are for staff: the patient's form does not show them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from ketacare.core.instruments import get_instrument, instruments
from ketacare.questionnaires.models import QuestionnaireResponse
from tests.support.clinic_hours import page_text

pytestmark = pytest.mark.django_db


def _fill(instrument: str) -> str:
    return reverse("questionnaires:fill", kwargs={"instrument": instrument})


def _radios(body: str, item_id: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{re.escape(item_id)}"[^>]*>', body)


def _errors(body: str) -> str:
    """The problems listed above the form, after the line that says nothing was sent."""
    found = re.search(r'<div class="error" role="alert" data-testid="form-errors">.*?</div>', body, re.S)
    assert found is not None, "no error summary on the form"
    text = page_text(found.group(0))
    lead = "Your answers have not been sent yet. "
    assert text.startswith(lead), text
    return text.removeprefix(lead)


def test_a_missing_answer_is_named_in_words_and_tied_to_its_question(personas: Any, client_for: Any) -> None:
    posted = {"idempotency_key": "k-missing", **{f"phq9.q{n}": "0" for n in range(1, 9)}}
    response = client_for("a1").post(_fill("phq9"), posted)
    body = response.content.decode()
    assert response.status_code == 400
    message = "Answer question 9 (“Thoughts that you would be better off…”) to send."
    assert _errors(body) == message
    assert "question(s)" not in body and "phq9.q9" not in _errors(body)
    # The summary links to the question; the question carries the message and its answers point to it.
    assert '<a href="#q-9">' in body
    assert re.search(r'<fieldset class="q-item" id="q-9">\s*<legend>9\. Thoughts that you would', body)
    assert f'<p class="field-error" id="q-9-error">{message}</p>' in body
    assert all('aria-describedby="q-9-error"' in radio for radio in _radios(body, "phq9.q9"))
    assert not any("aria-describedby" in radio for radio in _radios(body, "phq9.q1"))
    assert 'name="phq9.q1" value="0" checked' in body  # what was answered stays answered
    assert not QuestionnaireResponse.objects.exists()


def test_every_missing_answer_is_listed_with_its_words(personas: Any, client_for: Any) -> None:
    body = client_for("a1").post(_fill("luts_check"), {"idempotency_key": "k", "luts_check.q1": "1"})
    errors = _errors(body.content.decode())
    assert body.status_code == 400
    assert errors == (
        "Answer question 2 (“Sudden urges to pass urine that are hard…”) to send. "
        "Answer question 3 (“Pain or burning when passing urine…”) to send. "
        "Answer question 4 (“Blood in your urine”) to send."
    )


def test_an_answer_that_is_not_one_of_the_options_names_the_question_and_the_answers(
    personas: Any, client_for: Any
) -> None:
    posted = {"idempotency_key": "k", "luts_check.q1": "0", "luts_check.q2": "x", "luts_check.q3": "7"}
    response = client_for("a1").post(_fill("luts_check"), {**posted, "luts_check.q4": "0"})
    errors = _errors(response.content.decode())
    assert response.status_code == 400
    assert (
        "Question 2 (“Sudden urges to pass urine that are hard…”): choose one of the answers given (No, Yes)."
        in errors
    )
    assert "Question 3 (“Pain or burning when passing urine…”): choose one of the answers given" in errors
    assert "luts_check" not in errors and "'x'" not in errors
    assert not QuestionnaireResponse.objects.exists()


def test_of_two_questions_either_of_which_may_be_answered_one_is_asked_for(
    personas: Any, client_for: Any
) -> None:
    # QIDS-SR16: appetite down (6) or up (7), weight down (8) or up (9); the rest must all be answered.
    answered = {f"qids_sr16.q{n}": "0" for n in (1, 2, 3, 4, 5, 8, 10, 11, 12, 13, 14, 15, 16)}
    response = client_for("a1").post(_fill("qids_sr16"), {"idempotency_key": "k", **answered})
    body = response.content.decode()
    assert response.status_code == 400
    message = "Answer question 6 (“Decreased appetite”) or question 7 (“Increased appetite”) to send."
    assert _errors(body) == message
    for number, item in ((6, "qids_sr16.q6"), (7, "qids_sr16.q7")):
        assert f'<p class="field-error" id="q-{number}-error">{message}</p>' in body
        assert all(f'aria-describedby="q-{number}-error"' in radio for radio in _radios(body, item))
    assert "qids_sr16" not in _errors(body)


@pytest.mark.parametrize("instrument_id", [i.id for i in instruments() if i.completed_by == "patient"])
def test_the_patient_form_shows_no_licence_text(client_for: Any, instrument_id: str) -> None:
    instrument = get_instrument(instrument_id)
    body = client_for("a1").get(_fill(instrument_id)).content.decode()
    text = page_text(body)
    assert instrument.copyright not in text
    for licence_words in ("copyright", "Public domain", "not copyrighted", "free to use", "permission"):
        assert licence_words.casefold() not in text.casefold(), licence_words
