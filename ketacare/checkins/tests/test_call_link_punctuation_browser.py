"""Browser, phone-sized (390x844): a full stop after a number to call sits against it ("Call 988."), not a
space away ("Call 988 ."), on the answer to a low mood and to a note, while each link stays a 44 px tap
target."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_login
from ketacare.checkins.services import submit_checkin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "call-link-stop-browser-2026"  # noqa: S105 - test persona only
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

# For each call link followed by text that starts with punctuation: the gap in CSS pixels between the
# link's last letter and that punctuation mark, and the link's height.
GAPS = """() => Array.from(document.querySelectorAll("a.call")).flatMap((link) => {
  const next = link.nextSibling;
  if (!next || next.nodeType !== Node.TEXT_NODE || !/^[.,;:]/.test(next.textContent)) return [];
  const letters = document.createRange();
  letters.selectNodeContents(link);
  const mark = document.createRange();
  mark.setStart(next, 0);
  mark.setEnd(next, 1);
  const rects = letters.getClientRects();
  const last = rects[rects.length - 1];
  return [[link.textContent, mark.getBoundingClientRect().left - last.right, link.getBoundingClientRect().height]];
})"""


def test_a_full_stop_after_a_call_link_sits_against_it(live_server: Any, browser: Any, personas: Any) -> None:
    pages = [
        submit_checkin(
            patient=personas.a1, idempotency_key=key, reports=[], mood=mood, note=note, now=timezone.now()
        ).checkin.public_id
        for key, mood, note in (("mood", 3, ""), ("note", None, "everything feels grey and heavy lately"))
    ]
    personas.a1.user.set_password(PASSWORD)
    personas.a1.user.save()
    page = browser.new_page(**PHONE)
    browser_login(page, live_server.url, personas.a1.user.email, PASSWORD)
    for public_id in pages:
        page.goto(f"{live_server.url}/me/checkin/results/{public_id}/")
        gaps = page.evaluate(GAPS)
        assert gaps, public_id
        for text, gap, height in gaps:
            assert gap < 1, (public_id, text, gap)
            assert height >= 44, (public_id, text, height)
    page.close()
