"""Display names come from the knowledge base and protocol data, never the raw id."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketacare.checkins.services import ReportIn, submit_checkin
from ketacare.core import knowledge as kb
from ketacare.core.display import (
    CONDITION_NAMES,
    condition_name,
    humanize,
    instrument_short,
    item_name,
    name_for,
    preset_name,
    protocol_name,
    replace_ids,
    route_name,
    vital_name,
)
from ketacare.core.instruments import instruments
from ketacare.core.protocols import VITAL_FIELDS, catalog
from ketacare.intake.models import Indication
from ketacare.questionnaires.services import submit_questionnaire
from tests.security.routes import ROUTES


def test_names_from_the_data() -> None:
    assert route_name("esketamine_in") == "esketamine nasal spray"
    assert protocol_name("iv_ketamine") == "IV racemic ketamine 0.5 mg/kg over 40 min"
    assert preset_name("iv_ketamine", "3_per_week_2_weeks") == "6 infusions, 3 per week over 2 weeks"
    assert instrument_short("phq9") == "PHQ-9" and instrument_short("gad7") == "GAD-7"
    assert item_name("phq9.q9") == "PHQ-9 question 9"
    assert vital_name("systolic_mmhg") == "systolic blood pressure (mmHg)"
    assert name_for("blurred_vision") == "Blurred vision" or "blurred" in name_for("blurred_vision").lower()
    assert humanize("some_new_id") == "some new id"
    assert (
        replace_ids("systolic_mmhg 900 is out of range")
        == "systolic blood pressure (mmHg) 900 is out of range"
    )


def test_condition_names_are_intakes_own_labels() -> None:
    # Pages outside intake name a patient's conditions from core.display; they must read as intake's.
    assert CONDITION_NAMES == dict(Indication.choices)
    assert condition_name("chronic_pain") == "Chronic pain" and condition_name("ptsd") == "PTSD"
    assert condition_name("some_new_condition") == "Some new condition"


# --- every page of both personas ----------------------------------------------------------------------


class _Visible(HTMLParser):
    """The text a person sees: no script, style or attribute values; <title> included."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def internal_ids() -> set[str]:
    """snake_case ids from the knowledge base and protocol data, and model field names people could see."""
    ids: set[str] = set(VITAL_FIELDS)
    ids |= {e.id for e in kb.side_effects()} | {f.id for f in kb.red_flags()}
    ids |= {i.id for i in instruments() if "_" in i.id}
    data = catalog()
    ids |= set(data.routes) | set(data.protocols)
    ids |= {p.id for protocol in data.protocols.values() for p in protocol.presets}
    ids |= {"dose_started_at", "minutes_since_dose", "triage_level", "idempotency_key", "symptom_id"}
    return {i for i in ids if "_" in i}


ITEM_REF = re.compile(r"\b[a-z][a-z0-9]*\.q\d+\b")
TOKEN = re.compile(r"(?<![\w@./-])[a-z0-9]+(?:_[a-z0-9]+)+(?![\w@/-])")


def _digit_ids() -> re.Pattern[str]:
    # Instrument ids with a digit and no underscore ("phq9", "gad7"): the display name has a hyphen
    # ("PHQ-9"), so "phq9" or "PHQ9" in visible text is the raw id.
    ids = sorted(i.id for i in instruments() if "_" not in i.id and any(c.isdigit() for c in i.id))
    return re.compile(r"\b(?:" + "|".join(map(re.escape, ids)) + r")\b", re.IGNORECASE)


def findings(text: str, known: set[str]) -> list[str]:
    hits = [m.group(0) for m in ITEM_REF.finditer(text)]
    hits += [m.group(0) for m in _digit_ids().finditer(text)]
    hits += [m.group(0) for m in TOKEN.finditer(text) if m.group(0) in known]
    return hits


def _seed(personas: Any) -> None:
    from tests.support.treatments import make_session  # noqa: PLC0415 - treatments' own builder

    now = timezone.now()
    make_session(personas.a1, route="esketamine_in", state="discharged", minutes_since_dose_end=90)
    submit_checkin(
        patient=personas.a1,
        idempotency_key="ids-1",
        reports=[ReportIn("headache"), ReportIn("urinary_symptoms")],
        mood=5,
        note="",
        now=now,
    )
    submit_questionnaire(
        patient=personas.a1,
        instrument_id="phq9",
        answers={f"phq9.q{i}": (2 if i == 9 else 1) for i in range(1, 10)},
        idempotency_key="ids-q",
        now=now,
    )


# route name -> why it is not fixed here
PENDING_ELSEWHERE: dict[str, str] = {}

PAGE_ROUTES = [r for r in ROUTES if not r.api and "GET" in r.methods and r.audience not in ("public",)]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["a1", "clinician_a"])
def test_no_internal_id_in_the_visible_text_of_any_page(personas: Any, client_for: Any, persona: str) -> None:
    _seed(personas)
    known = internal_ids()
    client = client_for(persona)
    problems: dict[str, list[str]] = {}
    visited: set[str] = set()
    for route in PAGE_ROUTES:
        kwargs = route.kwargs(personas, personas.a1) if route.kwargs else None
        try:
            url = reverse(route.name, kwargs=kwargs)
        except Exception:  # noqa: BLE001, S112 - a route whose kwargs need more than a patient is skipped
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        visited.add(route.name)
        hits = findings(visible_text(response.content.decode()), known)
        if hits:
            problems[route.name] = sorted(set(hits))
    # Pages another engineer is rebuilding now (docs/decisions/0014 names them): listed here so the test
    # guards every other page today; each entry must still fail, so a fixed page is removed from the list.
    pending = {name: problems.pop(name) for name in list(problems) if name in PENDING_ELSEWHERE}
    stale = [n for n in PENDING_ELSEWHERE if n in visited and n not in pending]
    assert not stale, f"{stale} no longer show internal ids: remove them from PENDING_ELSEWHERE"
    # 12 patient pages and 19 clinician pages today: a route table change must not quietly shrink the sweep.
    assert len(visited) >= (10 if persona == "a1" else 15), sorted(visited)
    assert not problems, problems


@pytest.mark.django_db
def test_a_page_that_does_not_exist_gets_the_sites_own_page_with_a_way_back(client_for: Any) -> None:
    response = client_for("a1").get("/me/questionnaires/nope/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>Page not found</h1>" in page and 'href="/"' in page and "Back to the start" in page
    assert "tel:" in page  # the patient's emergency and clinic numbers stay one tap away
