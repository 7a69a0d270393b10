"""`ketacare outcomes-rebuild`: the course summary recomputed from the stored scores, whatever it held."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ketacare import cli_django
from ketacare.outcomes.models import CourseSummary
from ketacare.outcomes.selectors import Period, clinic_outcomes
from tests.support.cohort import seed_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    cli_django.register(app)
    return app


def test_the_rebuild_restores_a_lost_summary_and_the_page_numbers(personas: Any, cli: typer.Typer) -> None:
    seed_cohort(personas)
    before = clinic_outcomes(clinics=[personas.clinic_a], period=Period())
    kept = CourseSummary.objects.count()
    CourseSummary.objects.all().delete()
    emptied = clinic_outcomes(clinics=[personas.clinic_a], period=Period())
    assert emptied.by_instrument != before.by_instrument  # the page reads the summary
    result = CliRunner().invoke(cli, ["outcomes-rebuild"])
    assert result.exit_code == 0, result.output
    assert f"{kept} patient-scale rows" in result.output
    after = clinic_outcomes(clinics=[personas.clinic_a], period=Period())
    assert (after.by_instrument, after.by_route, after.by_condition) == (
        before.by_instrument,
        before.by_route,
        before.by_condition,
    )
    assert after.relapse == before.relapse
