"""Browser (tablet, 820x1180 portrait): the register's entries read word by word, and its menu is a menu.

Before, the entries table squeezed its columns to fit the screen by breaking words anywhere
("Esketamin e", "expecte d"), and the register's menu showed as a bulleted list with no mark on the
page you are on. Now the table keeps words whole and scrolls sideways in its own box (the page never
does), and the menu is a row of boxes, the current page marked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_login
from ketacare.register import services
from tests.support.register import add_nurse, start_register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET_PORTRAIT = {"width": 820, "height": 1180}
PASSWORD = "tablet-register-2026"
DETAIL = "Counted stock was less than the expected balance; corrected after the investigation"

# Every word (split at white space and after hyphens, where a line may break) of every cell of the
# entries table whose letters fall on more than one line.
SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll('[data-testid=ledger] tbody td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/[^\\s-]+-?/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) split.push(match[0]);
      }
    }
  }
  return split;
}"""


def test_the_entries_keep_words_whole_on_a_tablet_and_the_menu_marks_the_page(
    live_server: Any, browser: Any, personas: Any, artifacts_dir: Any
) -> None:
    location, vial = start_register(personas)
    device = services.add_product(
        clinic=personas.clinic_a, user=personas.admin_a, kind="esketamine_device", units_per_pack=2
    )
    nurse = add_nurse(personas.clinic_a)
    today = timezone.now().date()
    for product, number in ((device, "DEMO-ESK-01"), (vial, "KET-2026-LONG-LOT-NUMBER-0001")):
        lot = services.receive_stock(
            clinic=personas.clinic_a,
            user=personas.clinician_a,
            product=product,
            lot_number=number,
            expires_on=today + dt.timedelta(days=365),
            location=location,
            units=24,
            supplier="Example Pharma Wholesale",
            invoice_number="INV-1001",
            received_on=today,
        ).lot
        services.record_correction(
            clinic=personas.clinic_a,
            user=personas.clinician_a,
            witness=services.VerifiedWitness(user=nurse, verified_at=lot.entries.get().occurred_at),
            lot=lot,
            location=location,
            change_mg=-product.mg_per_unit,
            reason=DETAIL,
        )
    user = personas.clinician_a
    user.set_password(PASSWORD)
    user.save()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(user=user, defaults={"name": "browser", "confirmed": True})
    page = browser.new_page(viewport=TABLET_PORTRAIT, has_touch=True)
    browser_login(page, live_server.url, user.email, PASSWORD)
    page.goto(f"{live_server.url}/clinic/register/ledger/")
    page.screenshot(path=str(artifacts_dir / "tablet-820-register-entries.png"), full_page=True)
    assert "Esketamine 28 mg nasal device" in page.get_by_test_id("ledger").inner_text()
    assert page.evaluate(SPLIT_WORDS) == []
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= TABLET_PORTRAIT["width"]

    menu = page.get_by_role("navigation", name="Register")
    assert menu.locator("li").first.evaluate("li => getComputedStyle(li).listStyleType") == "none"
    current = menu.locator('a[aria-current="page"]')
    assert current.inner_text() == "Register entries"
    other = menu.get_by_role("link", name="Stock", exact=True)
    style = "a => [getComputedStyle(a).fontWeight, getComputedStyle(a).borderTopWidth]"
    assert current.evaluate(style) != other.evaluate(style)
    page.close()
