"""No module of the product grows past about 600 lines (docs/architecture.md): a module that does is
doing two things and splits along its sub-domains, as the treatments services and PK models did.
Migrations and tests are exempt; they are generated or one story per file."""

from __future__ import annotations

from pathlib import Path

MAX_LINES = 600
PACKAGE = Path(__file__).parents[1] / "ketacare"


def test_no_module_is_over_600_lines() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these modules (lines): {too_long}"
