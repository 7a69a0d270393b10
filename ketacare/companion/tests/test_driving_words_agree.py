"""Every place a patient reads about driving says the same as their own route's rule (decision 0026).

The dated rule (home page "Rules active now", discharge instructions) is computed from the time the
patient left the clinic. The words read before any time exists (preparation, Learn) must predict that
same end: the same number of hours, counted from the same point, the same morning. A page that does
not know the patient's route states each route's rule under the route's name. Self-care tips that
mention driving state no end of their own (they could only contradict the rule).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketacare.core.dayrules import day_rules
from ketacare.core.display import route_name
from ketacare.core.protocols import route_ids
from ketacare.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")  # Clinic A's zone, and A1's
# Saturday 5 December 2026: the dose 12:00-12:40, home at 13:40, the pages read at 15:00.
DOSE_START = dt.datetime(2026, 12, 5, 12, 0, tzinfo=NEW_YORK)
DOSE_END = DOSE_START + dt.timedelta(minutes=40)
LEFT = DOSE_END + dt.timedelta(minutes=60)
READ_AT = dt.datetime(2026, 12, 5, 15, 0, tzinfo=NEW_YORK)
PROTOCOL = {
    "iv": "iv_ketamine",
    "esketamine_in": "esketamine_trd",
    "oral": "oral_ketamine",
    "sublingual": "sublingual_ketamine",
    "im": "im_ketamine",
}
# Where the words before a session count their hours from, and the time each point is in this story.
COUNTED_FROM = {"you leave the clinic": LEFT, "the dose": DOSE_START}
UNDATED = re.compile(
    r"until (?:(\d+) hours after (you leave the clinic|the dose) or )?(\d\d):(\d\d) the next morning"
    r"(, whichever is later)?"
)
DATED = re.compile(r"No driving and no machinery before (\d\d:\d\d) (?:today, |tomorrow, |on )(\w+ \d+ \w+)")


def _session(patient: Any, route: str) -> TreatmentSession:
    """A dose of ``route`` given and discharged at the story's times (a row, as `make_dose` writes one)."""
    return TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_id=PROTOCOL[route],
        route=route,
        scheduled_at=DOSE_START - dt.timedelta(minutes=15),
        state=TreatmentSession.State.DISCHARGED,
        dose_started_at=DOSE_START,
        dose_ended_at=DOSE_END,
        discharged_at=LEFT,
    )


def _text(response: Any) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _dated_end(body: str, where: str) -> dt.datetime:
    """The end of the dated driving rule on a page ("before 13:40 tomorrow, Sunday 6 December")."""
    rule = re.search(r'data-rule="driving"[^>]*>(.*?)</li>', body, re.S)
    assert rule is not None, f"{where}: no driving rule"
    found = DATED.search(rule.group(1))
    assert found is not None, f"{where}: {rule.group(1)!r}"
    assert "night's sleep" in rule.group(1), where
    return dt.datetime.strptime(f"{found.group(2)} 2026 {found.group(1)}", "%A %d %B %Y %H:%M").replace(
        tzinfo=NEW_YORK
    )


def _predicted_end(words: str, where: str) -> dt.datetime:
    """The end the undated words promise in this story: the next morning, and the hours they name
    counted from the point they name."""
    found = UNDATED.search(words)
    assert found is not None, f"{where}: {words!r}"
    hours, counted_from, hour, minute, later = found.groups()
    # Two limits are one end only when the words say which of them applies.
    assert (hours is None) == (later is None), f"{where}: {words!r}"
    end = dt.datetime.combine(LEFT.date() + dt.timedelta(days=1), dt.time(int(hour), int(minute)), NEW_YORK)
    if hours is not None:
        end = max(end, COUNTED_FROM[counted_from] + dt.timedelta(hours=int(hours)))
    return end


def _clause_for(route: str, words: str) -> str:
    """The part of a general text about ``route`` ("After IV ketamine infusion, ...: not before ..."),
    or the whole text when it states one rule for everyone."""
    labelled = re.search(rf"After [^:.]*\b{re.escape(route_name(route))}\b[^:.]*: ([^.]*)\.", words)
    return labelled.group(1) if labelled else words


def _learn_answer(client: Any) -> str:
    body = _text(client.get(reverse("journal:learn"), {"q": "drive"}))
    found = re.search(r"<summary>When can I drive again\?</summary>\s*<p>(.*?)</p>", body, re.S)
    assert found is not None
    return found.group(1)


def _preparation_words(client: Any) -> str:
    found = re.search(
        r"(No driving and no machinery after a session[^<]*)",
        _text(client.get(reverse("checkins:preparation"))),
    )
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("route", route_ids())
def test_every_driving_sentence_a_patient_reads_gives_their_routes_end(
    route: str, personas: Any, client_for: Any
) -> None:
    _session(personas.a1, route)
    client = client_for("a1")
    with time_machine.travel(READ_AT, tick=False):
        home = _text(client.get(reverse("companion:home")))
        instructions = _text(client.get(reverse("companion:instructions")))
        preparation = _preparation_words(client)
        learn = _learn_answer(client)
    # The rule engine's end for this route, counted from leaving the clinic.
    (engine,) = [
        r for r in day_rules(route=route, left_at=LEFT, time_zone="America/New_York") if r.id == "driving"
    ]
    ends = {
        "home": _dated_end(home, "home"),
        "discharge instructions": _dated_end(instructions, "discharge instructions"),
        "preparation": _predicted_end(preparation, "preparation"),
        "learn": _predicted_end(_clause_for(route, learn), "learn"),
    }
    assert ends == dict.fromkeys(ends, engine.ends_at), f"{route}: {ends}"
    assert "night's sleep" in preparation and "night's sleep" in learn


def test_a_page_that_does_not_know_the_route_states_each_routes_rule_under_its_name(
    personas: Any, client_for: Any
) -> None:
    # A1 has no dose and no plan: preparation and Learn cannot know the route.
    client = client_for("a1")
    words = {"preparation": _preparation_words(client), "learn": _learn_answer(client)}
    for where, text in words.items():
        for route in route_ids():
            assert re.search(rf"After [^:.]*\b{re.escape(route_name(route))}\b", text), f"{where}: {route}"
            (engine,) = [
                r
                for r in day_rules(route=route, left_at=LEFT, time_zone="America/New_York")
                if r.id == "driving"
            ]
            assert _predicted_end(_clause_for(route, text), f"{where} {route}") == engine.ends_at, where


def test_self_care_tips_about_driving_state_no_end_of_their_own(personas: Any, client_for: Any) -> None:
    # Said "Do not drive ... today": after IV, whose rule ends 24 hours after leaving, that reads as
    # allowed the next morning.
    _session(personas.a1, "iv")
    with time_machine.travel(READ_AT, tick=False):
        answer = client_for("a1").post(
            reverse("checkins:checkin"),
            {
                "idempotency_key": uuid.uuid4().hex,
                "symptom": ["dissociation", "euphoria", "dizziness"],
                "severity_dissociation": "mild",
                "severity_euphoria": "mild",
                "severity_dizziness": "mild",
            },
            follow=True,
        )
    tips = re.findall(r"<li>([^<]*\bdrive\b[^<]*)</li>", _text(answer))
    assert len(tips) >= 3
    for tip in tips:
        assert not re.search(r"\b(today|tonight|tomorrow|next day|morning|hours?)\b", tip), tip
