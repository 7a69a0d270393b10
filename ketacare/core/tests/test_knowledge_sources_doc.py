"""docs/clinical-sources.md is generated from sources.toml and must be current."""

from __future__ import annotations

from pathlib import Path

from ketacare.core.knowledge import render_sources_markdown, sources
from ketacare.core.knowledge.render import REGENERATE

DOC = Path(__file__).resolve().parents[3] / "docs" / "clinical-sources.md"


def test_the_committed_clinical_sources_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render_sources_markdown(), (
        f"docs/clinical-sources.md is out of date; regenerate it with:\n{REGENERATE}"
    )


def test_the_doc_lists_every_source_and_the_clinic_practice_values_to_review() -> None:
    text = render_sources_markdown()
    for source in sources():
        assert f"| `{source.id}` |" in text
    assert "## Clinic-practice values to review" in text
    assert "| side_effects.toml | `dissociation / oral` |" in text
