"""The outcomes page's filters at their edges: what the page shows is what was applied.

A reversed period is named by the form's labels and shows no numbers (neither does the CSV); a period
without plans shows no share of nothing; an instrument nobody has scores on says "no scores"; a link
with dates and no instrument shows the instrument the numbers are about.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ketacare.outcomes.selectors import outcome_instruments
from tests.support.cohort import seed_cohort

pytestmark = pytest.mark.django_db

PAGE = "/clinic/outcomes/"


def test_a_reversed_period_names_the_fields_by_their_labels_and_shows_no_numbers(
    personas: Any, client_for: Any
) -> None:
    seed_cohort(personas)
    client = client_for("clinician_a")
    reversed_period = {"start": "2026-12-01", "end": "2026-01-01"}
    response = client.get(PAGE, reversed_period)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Baseline to (2026-01-01) must be on or after Baseline from (2026-12-01)" in body
    assert "end 2026-01-01" not in body and "after start" not in body
    assert 'data-testid="filters-not-applied"' in body and "No numbers are shown" in body
    # None of the all-time numbers below it (2/5 respond over all dates).
    assert "2/5 = 40%" not in body and "Response and remission" not in body and "Plan made" not in body
    csv = client.get("/clinic/outcomes/export.csv", reversed_period)
    assert csv.status_code == 400 and not csv["Content-Type"].startswith("text/csv")
    assert "Filters not applied" in csv.content.decode() and "by_instrument" not in csv.content.decode()


def test_a_period_without_plans_shows_no_share_of_nothing(personas: Any, client_for: Any) -> None:
    seed_cohort(personas)  # the plans are made on 2026-01-05
    body = client_for("clinician_a").get(PAGE, {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    assert "No plans in this period." in body
    plan_row = re.search(r'<th scope="row">Plan made</th><td>(.*?)</td><td>(.*?)</td>', body)
    assert plan_row is not None and plan_row.groups() == ("0", "—")
    assert 'class="funnel-chart"' not in body


def test_an_instrument_without_any_score_says_no_scores(personas: Any, client_for: Any) -> None:
    seed_cohort(personas)  # PHQ-9 scores only
    body = client_for("clinician_a").get(PAGE, {"instrument": "madrs"}).content.decode()
    start = body.index("<caption>By instrument</caption>")
    table = body[start : body.index("</table>", start)]
    madrs = re.search(r'<th scope="row">Montgomery[^<]*</th>(.*?)</tr>', table, flags=re.S)
    assert madrs is not None and "<td>0</td>" in madrs.group(1)  # cohort 0: no baseline either
    assert "no scores" in madrs.group(1) and "no follow-up scores" not in madrs.group(1)


def test_a_link_with_dates_and_no_instrument_shows_the_instrument_applied(
    personas: Any, client_for: Any
) -> None:
    seed_cohort(personas)
    assert outcome_instruments()[0].id != "phq9"  # the list's first entry is another scale
    body = client_for("clinician_a").get(PAGE, {"start": "2026-01-01", "end": "2026-12-31"}).content.decode()
    instrument = body[
        body.index('name="instrument"') : body.index("</select>", body.index('name="instrument"'))
    ]
    assert re.findall(r'<option value="([^"]+)" selected>', instrument) == ["phq9"]
    assert "2/5 = 40%" in body  # and the numbers are PHQ-9's
