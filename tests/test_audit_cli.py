"""`ketacare audit-anchor` and `ketacare audit-verify`: what an operator runs, and what each answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from django.db import connection
from typer.testing import CliRunner

from ketacare import cli_django
from ketacare.audit.models import AccessEvent
from ketacare.audit.services import record_access_event
from ketacare.audit.triggers import drop_triggers, install_triggers

pytestmark = pytest.mark.django_db


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    cli_django.register(app)
    return app


def test_anchor_then_verify_then_detect_a_truncation(personas: Any, cli: typer.Typer, tmp_path: Path) -> None:
    for patient in (personas.a1, personas.a2, personas.b1):
        record_access_event(user=personas.clinician_a, action="read", outcome="granted", patient=patient)
    anchors = tmp_path / "anchors.jsonl"
    runner = CliRunner()
    result = runner.invoke(cli, ["audit-anchor", "--path", str(anchors)])
    assert result.exit_code == 0 and "anchored 3 rows" in result.output
    result = runner.invoke(cli, ["audit-verify", "--anchors", str(anchors), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output) | {"problem": ""} == {
        "ok": True,
        "rows_checked": 3,
        "anchors_checked": 1,
        "first_bad_id": None,
        "problem": "",
        "pending": 0,
    }
    drop_triggers(connection)
    try:
        AccessEvent.objects.filter(pk=AccessEvent.objects.order_by("-id").first().pk).delete()  # type: ignore[union-attr]
    finally:
        install_triggers(connection)
    result = runner.invoke(cli, ["audit-verify", "--anchors", str(anchors)])
    assert result.exit_code == 1 and "audit chain BROKEN" in result.output


def test_an_unreadable_anchor_file_exits_2_naming_the_line(cli: typer.Typer, tmp_path: Path, db: Any) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text("not json\n")
    result = CliRunner().invoke(cli, ["audit-verify", "--anchors", str(anchors)])
    assert result.exit_code == 2 and "line 1 is not an anchor" in result.output
