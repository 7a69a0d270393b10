"""`ketacare knowledge list`: every kind lists its entries with stable fields."""

from __future__ import annotations

import pytest

from ketacare import cli, cli_clinical, cli_knowledge


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("side-effects", ["id", "name", "how_common", "evidence", "sources", "routes"]),
        ("red-flags", ["id", "name", "level", "patient_message", "evidence", "sources"]),
        (
            "instruments",
            ["id", "title", "version", "completed_by", "items", "min_score", "max_score", "loinc_total"],
        ),
        (
            "protocols",
            [
                "id",
                "name",
                "drug",
                "route",
                "regulatory_status",
                "experimental",
                "evidence",
                "sources",
                "presets",
                "maintenance_interval_weeks",
                "observation_min_minutes",
                "observation_default_minutes",
                "observation_overridable",
                "max_sessions_per_7_days",  # added with the safety net (decision 0012)
            ],
        ),
        (
            "screening",
            ["kind", "id", "name", "level", "evidence", "sources", "names", "rems_form_item"],
        ),
        ("sources", ["id", "citation", "year", "url", "evidence", "secondary"]),
    ],
)
def test_each_kind_lists_items_with_the_documented_fields(run_json, kind, fields):
    data = run_json("knowledge", "list", kind)
    assert data["kind"] == kind
    assert data["items"]
    for item in data["items"]:
        assert list(item) == fields


def test_protocols_show_the_esketamine_observation_hard_rule(run_json):
    items = {item["id"]: item for item in run_json("knowledge", "list", "protocols")["items"]}
    esketamine = items["esketamine_trd"]
    assert (esketamine["observation_min_minutes"], esketamine["observation_overridable"]) == (120, False)
    assert items["oral_ketamine"]["experimental"] is True


def test_sources_include_clinic_practice(run_json):
    ids = [item["id"] for item in run_json("knowledge", "list", "sources")["items"]]
    assert "clinic-practice" in ids and "REMS-FDA" in ids


def test_the_text_output_is_one_line_per_entry(run):
    result = run("knowledge", "list", "instruments")
    assert result.exit_code == 0
    assert any(line.startswith("phq9: ") for line in result.stdout.splitlines())


def test_an_unknown_kind_exits_2_naming_the_kinds(run, assert_bad_input):
    assert_bad_input(
        run("knowledge", "list", "drugs"), "ketacare knowledge list: error:", "'drugs'", "side-effects"
    )


def test_registering_the_clinical_commands_twice_adds_nothing(app):
    before = len(cli.app.registered_commands), len(cli.app.registered_groups)
    cli_clinical.register(cli.app)
    cli_knowledge.register(cli.app)
    assert (len(cli.app.registered_commands), len(cli.app.registered_groups)) == before
