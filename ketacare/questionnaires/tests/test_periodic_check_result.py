"""After a periodic check (bladder, cravings and other use) the result page says what happens next.

A "yes" on either check raises a clinic alert the moment the answers are stored. The page a patient
lands on says so in plain words, gives the knowledge base's own advice for those symptoms, says when
the next treatment waits for a prescriber (a positive bladder check), and how to reach the clinic now:
closed, that it is closed and when it will read the answers. A check with every answer "no" keeps a
calm thank-you. Yes/no checks count the yes answers instead of showing a score; rating scales keep it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketacare.alerts.models import Alert
from ketacare.core.knowledge import knowledge
from tests.support.clinic_hours import MONDAY_MORNING, TUESDAY_NIGHT, page_text, set_opening_hours
from tests.support.treatments import make_session

pytestmark = pytest.mark.django_db

BLADDER = "luts_check"
MISUSE = "misuse_check"


def _answers(instrument: str, yes: set[int], count: int) -> dict[str, str]:
    return {f"{instrument}.q{n}": "1" if n in yes else "0" for n in range(1, count + 1)}


def _send(client: Any, instrument: str, answers: dict[str, str]) -> str:
    sent = client.post(
        reverse("questionnaires:fill", kwargs={"instrument": instrument}),
        {"idempotency_key": uuid.uuid4().hex, **answers},
    )
    assert sent.status_code == 303, sent.content.decode()[:2000]
    page = client.get(sent["Location"])
    assert page.status_code == 200
    return page.content.decode()


def _main(body: str) -> str:
    start, end = body.index('<main id="main"'), body.index("</main>")
    return page_text(body[start:end])


def test_every_bladder_symptom_reported_says_the_clinic_knows_the_next_treatment_waits_and_how_to_call(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        body = _send(client_for("a1"), BLADDER, _answers(BLADDER, {1, 2, 3, 4}, 4))
    main = _main(body)
    assert '<section class="check-outcome" role="alert"' in body
    assert main.startswith("Please contact your clinic today")
    # The knowledge base's advice for these symptoms, word for word.
    advice = knowledge().red_flags["urinary_symptoms"].patient_message
    assert "Contact your clinic" in advice
    assert advice in main
    assert "Your clinic has been told about your answers." in main
    assert "Your next treatment will wait until a prescriber at your clinic has reviewed you." in main
    assert "Your clinic: Call +1 555 0100 (open Mon-Fri 08:00-18:00; Sat 09:00-13:00)" in main
    assert 'href="tel:+1 555 0100"' in body
    assert "If it feels like an emergency: Call 911" in main
    # What the patient said yes to, counted and named, instead of "your score is 4 (symptoms reported)".
    assert "you answered yes to 4 of the 4 questions:" in main
    assert "Blood in your urine" in main
    assert "score" not in main and "symptoms reported" not in main
    # Never dosing advice: the page speaks of the next treatment, not of doses or amounts.
    assert " mg" not in main and "dose" not in main.casefold()
    # "Told" is true: the alert was raised when the answers were stored, and it holds the next dose.
    alert = Alert.objects.get(patient=personas.a1)
    assert alert.source == Alert.Source.DOSING_HOLD and alert.severity == "urgent"


def test_at_night_a_positive_bladder_check_says_the_clinic_is_closed_and_when_it_will_read_the_answers(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a, after_hours_phone="+1 555 0111")
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        main = _main(_send(client_for("a1"), BLADDER, _answers(BLADDER, {4}, 4)))
    # Closed until the morning, the heading does not say "today"; the lines below say when it opens.
    assert main.startswith("Please contact your clinic Pain or blood when you pass urine")
    assert (
        "Your clinic has been told about your answers, but it is closed now: they will see them when it "
        "opens on Tuesday 12 January, 08:00. Do not wait for them to contact you." in main
    )
    assert (
        "Out-of-hours line, for something that cannot wait until the clinic opens: Call +1 555 0111" in main
    )
    assert "Your clinic, once it is open: +1 555 0100" in main
    assert "Call +1 555 0100" not in main  # a closed clinic is not offered as the call to make now
    assert "Your clinic has been told about your answers." not in main
    assert "you answered yes to 1 of the 4 questions: Blood in your urine" in main


def test_a_positive_misuse_check_asks_for_contact_without_saying_the_treatment_waits(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        main = _main(_send(client_for("a1"), MISUSE, _answers(MISUSE, {2}, 3)))
    assert main.startswith("Please contact your clinic today")
    assert knowledge().red_flags["craving_or_misuse"].patient_message in main
    assert "Your clinic has been told about your answers." in main
    assert "next treatment will wait" not in main
    assert "Your clinic: Call +1 555 0100" in main
    assert "you answered yes to 1 of the 3 questions:" in main
    assert "Have you taken ketamine or esketamine that was not given to you at your clinic?" in main
    assert "score" not in main
    alert = Alert.objects.get(patient=personas.a1)
    assert alert.source == Alert.Source.PERIODIC_CHECK


def test_a_positive_check_in_the_chair_sends_the_patient_to_the_staff_first(
    personas: Any, client_for: Any
) -> None:
    set_opening_hours(personas.clinic_a, personas.admin_a)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        make_session(personas.a1, state="observing", now=MONDAY_MORNING)
        main = _main(_send(client_for("a1"), BLADDER, _answers(BLADDER, {3}, 4)))
    assert main.index("You are at the clinic: tell a member of staff now.") < main.index("Your clinic: Call")


@pytest.mark.parametrize(("instrument", "count"), [(BLADDER, 4), (MISUSE, 3)])
def test_a_check_with_every_answer_no_keeps_a_calm_thank_you(
    personas: Any, client_for: Any, instrument: str, count: int
) -> None:
    body = _send(client_for("a1"), instrument, _answers(instrument, set(), count))
    main = _main(body)
    assert "<h1>Thank you</h1>" in body and "check-outcome" not in body
    assert f"you answered no to all {count} questions. Nothing here needs action." in main
    assert "contact your clinic" not in main.casefold() and "told" not in main
    assert "score" not in main
    assert not Alert.objects.filter(patient=personas.a1).exists()


def test_rating_scales_keep_their_score(personas: Any, client_for: Any) -> None:
    answers = {f"gad7.q{n}": "1" for n in range(1, 8)}
    main = _main(_send(client_for("a1"), "gad7", answers))
    assert "Generalized Anxiety Disorder 7-item scale (GAD-7): your score is 7" in main
    assert "you answered" not in main


def test_a_periodic_check_is_named_by_its_title_on_every_patient_page(personas: Any, client_for: Any) -> None:
    client = client_for("a1")
    title = "Bladder and urine check (KetaCare)"
    listed = _main(client.get(reverse("questionnaires:due")).content.decode())
    form = client.get(reverse("questionnaires:fill", kwargs={"instrument": BLADDER})).content.decode()
    result = _main(_send(client, BLADDER, _answers(BLADDER, {1}, 4)))
    assert title in listed
    assert f"<h1>{title}</h1>" in form
    assert f"{title}: you answered yes to 1 of the 4 questions" in result
    for main in (listed, _main(form), result):
        # The check's publisher alone is never its name ("KetaCare: you answered ..." or a lone "KetaCare").
        assert "KetaCare:" not in main and " KetaCare " not in f" {main} ".replace(title, "")
