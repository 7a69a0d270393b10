"""Every SNOMED CT route the FHIR export writes is named in the note of the source it cites
([FHIR-RouteCodes] in sources.toml), and so in the generated docs/clinical-sources.md: the intramuscular
route (78421000) was exported but missing from the note."""

from __future__ import annotations

from pathlib import Path

from ketacare.core import knowledge
from ketacare.interop.fhir_common import ROUTE

DOC = Path(__file__).resolve().parents[2] / "docs" / "clinical-sources.md"


def test_the_route_codes_source_names_every_route_the_export_writes() -> None:
    note = knowledge.get_source("FHIR-RouteCodes").note
    for route, (code, _display) in ROUTE.items():
        assert code in note, (route, code, note)
    assert "78421000 intramuscular route" in note


def test_the_sources_document_lists_them_too() -> None:
    row = next(line for line in DOC.read_text().splitlines() if line.startswith("| `FHIR-RouteCodes` |"))
    for code, _display in ROUTE.values():
        assert code in row, code
