"""The Protocols page: what each built-in dosing protocol holds, read by the clinic's staff.

The protocols come with the installation (the core's protocols.toml); a clinic reads them here and
cannot change them. Every number on the page is compared with the core's data, read in the test.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from ketacare.accounts.models import User
from ketacare.audit.models import AccessEvent
from ketacare.clinics.models import StaffMembership
from ketacare.core import knowledge
from ketacare.core.protocols import Cited, Protocol, catalog
from tests.support.clinic_hours import page_text
from tests.test_no_internal_ids import findings, internal_ids, visible_text

pytestmark = pytest.mark.django_db

URL = "/clinic/protocols/"
PRACTICE_WORDS = "Usual clinic practice, not from a published study"


def _nurse(personas: Any) -> User:
    nurse = User.objects.create_user("nurse.a@example.org", None, full_name="Nora Nurse")
    StaffMembership.objects.create(user=nurse, clinic=personas.clinic_a, role="nurse")
    return nurse


def _page(personas: Any) -> str:
    response = login(Client(), personas.clinician_a).get(URL)
    assert response.status_code == 200
    return response.content.decode()


def _sections(page: str) -> dict[str, str]:
    """Each protocol's section of the page, by the name in its heading."""
    found = re.findall(r'<section[^>]*data-testid="protocol"[^>]*>(.*?)</section>', page, re.S)
    return {page_text(re.search(r"<h2[^>]*>(.*?)</h2>", s, re.S).group(1)): s for s in found}  # type: ignore[union-attr]


def _fact(section: str, testid: str) -> str:
    found = re.search(rf'<dd data-testid="{testid}">(.*?)</dd>', section, re.S)
    assert found is not None, f"no {testid} on the page"
    return page_text(found.group(1))


def _cited(protocol: Protocol) -> list[Cited]:
    """The citations behind what the page shows of ``protocol``."""
    route = catalog().route(protocol.route)
    cited = [protocol.cited, protocol.dose.cited, protocol.dose_bounds.cited, route.observation.cited]
    cited += [preset.cited for preset in protocol.presets]
    cited += [rule.cited for rule in route.pre_dose_rules]
    cited += [rule.cited for rule in protocol.first_doses]
    for part in (protocol.frequency, protocol.maintenance, protocol.device, protocol.hepatic):
        if part is not None:
            cited.append(part.cited)
    return cited


# --- who may read it --------------------------------------------------------------------------------


def test_administrators_prescribers_and_nurses_read_the_protocols(personas: Any) -> None:
    for user in (personas.admin_a, personas.clinician_a, _nurse(personas), personas.clinician_b):
        response = login(Client(), user).get(URL)
        assert response.status_code == 200, user.email
        assert "<h1>Protocols" in response.content.decode()


def test_patients_get_not_found_and_anonymous_the_login(personas: Any) -> None:
    for patient in (personas.a1, personas.b1):
        assert login(Client(), patient.user).get(URL).status_code == 404
    response = Client().get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert reverse("clinics:protocols") == URL


def test_the_page_is_read_only(personas: Any) -> None:
    assert login(Client(), personas.admin_a).post(URL, {}).status_code == 405
    page = _page(personas)
    assert "<form" not in page.split('<main id="main"', 1)[-1].split("</main>", 1)[0]


def test_reading_the_protocols_leaves_no_audit_row(personas: Any) -> None:
    # Installation-wide reference data: no patient's, clinic's or person's data is shown, so the read
    # is not an access to audit (like the questionnaire and alert policy pages).
    response = login(Client(), personas.clinician_a).get(URL)
    assert not AccessEvent.objects.filter(request_id=response["X-Request-ID"]).exists()


def test_clinic_settings_links_to_the_protocols(personas: Any) -> None:
    page = login(Client(), personas.admin_a).get(reverse("clinics:settings")).content.decode()
    assert f'href="{URL}"' in page
    assert "come with the installation" in page_text(page)


# --- what it says -----------------------------------------------------------------------------------


def test_the_page_says_the_protocols_are_fixed_reviewed_and_chosen_by_a_prescriber(personas: Any) -> None:
    text = page_text(_page(personas))
    assert "come with this KetaCare installation" in text
    assert "reviewed against the sources cited" in text
    assert "cannot be edited by a clinic" in text
    assert "A prescriber chooses one when writing a patient's treatment plan" in text
    assert "within its dose range" in text


def test_every_protocol_is_shown_with_the_cores_numbers(personas: Any) -> None:
    sections = _sections(_page(personas))
    protocols = catalog().protocols.values()
    assert sorted(sections) == sorted(p.name for p in protocols)
    for protocol in protocols:
        section = sections[protocol.name]
        route = catalog().route(protocol.route)
        assert _fact(section, "route") == route.name
        assert protocol.drug in _fact(section, "drug")

        bounds = protocol.dose_bounds
        dose_range = _fact(section, "dose-range")
        if bounds.min_mg_per_kg is not None:
            assert f"{bounds.min_mg_per_kg:g}–{bounds.max_mg_per_kg:g} mg/kg" in dose_range
        if bounds.min_mg is not None:
            assert f"{bounds.min_mg:g}–{bounds.max_mg:g} mg" in dose_range
        dose = _fact(section, "dose")
        if protocol.dose.standard_mg_per_kg is not None:
            assert f"{protocol.dose.standard_mg_per_kg:g} mg/kg" in dose
        if protocol.dose.standard_mg is not None:
            assert f"{protocol.dose.standard_mg:g} mg" in dose
        for rule in protocol.first_doses:
            assert f"{rule.first_dose_mg} mg on day 1" in dose

        infusion = _fact(section, "infusion")
        if protocol.dose.infusion_minutes is not None:
            assert infusion.startswith(f"{protocol.dose.infusion_minutes} minutes (")
        else:
            assert infusion.startswith("None: not an infusion")

        sessions = _fact(section, "sessions")
        for preset in protocol.presets:
            assert preset.name in sessions
            if preset.custom:
                assert f"at most {preset.max_sessions} in one plan" in sessions
            else:
                induction = sum(p.session_count for p in preset.phases if p.name == "induction")
                assert f"{induction} induction sessions" in sessions
                for phase in preset.phases:
                    assert f"{phase.sessions_per_week} a week in week" in sessions
        if protocol.frequency is not None:
            most = protocol.frequency.max_sessions_per_7_days
            assert f"At most {most} sessions in any 7 days" in sessions

        observation = _fact(section, "observation")
        assert observation.startswith(f"At least {route.observation.min_minutes} minutes after the end of")

        rows = [page_text(r) for r in re.findall(r'<tr data-testid="hold">(.*?)</tr>', section, re.S)]
        assert len(rows) == len(route.pre_dose_rules)
        for hold, row in zip(route.pre_dose_rules, rows, strict=True):
            assert f"{hold.comparison} {hold.value:g}" in row, row
            held = "held until a prescriber decides" in row
            assert held == (hold.level == "hold"), row


def test_every_protocol_cites_its_sources_by_title_with_links(personas: Any) -> None:
    sections = _sections(_page(personas))
    for protocol in catalog().protocols.values():
        section = sections[protocol.name]
        listed = re.search(r'<ol class="sources"[^>]*>(.*?)</ol>', section, re.S)
        assert listed is not None, protocol.name
        items = [page_text(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", listed.group(1), re.S)]
        links = {
            (html.unescape(href), page_text(title))
            for href, title in re.findall(
                r'<a href="([^"]*)" rel="noopener noreferrer" target="_blank">(.*?)</a>',
                listed.group(1),
                re.S,
            )
        }
        for source_id in {s for cited in _cited(protocol) for s in cited.sources}:
            if source_id == knowledge.CLINIC_PRACTICE:
                assert PRACTICE_WORDS in items, protocol.name
                continue
            source = knowledge.get_source(source_id)
            if source.url:
                assert (source.url, source.citation) in links, (protocol.name, source_id)
            else:
                assert source.citation in items, (protocol.name, source_id)


def test_no_internal_id_or_source_key_is_shown(personas: Any) -> None:
    text = visible_text(_page(personas))
    assert findings(text, internal_ids()) == []
    keys = [f"[{key}]" for key in knowledge.source_ids() if f"[{key}]" in text]
    assert keys == []
    assert knowledge.CLINIC_PRACTICE not in text and "KetaCare default clinic practice" not in text
    for protocol in catalog().protocols.values():
        assert protocol.id not in text
        assert all(f" {preset.id} " not in f" {text} " for preset in protocol.presets if "_" in preset.id)
