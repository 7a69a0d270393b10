"""Amounts as people read them on pages and PDFs (one rule for every app)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def show_mg(amount: Decimal | float | int | str) -> str:
    """An amount as a person reads it on a page or a PDF: at most two places, no trailing zeros, thousands
    grouped ("35", "20,000", "15,959.5", "-40.5")."""
    value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP).normalize()
    return f"{value if value else Decimal(0):,f}"
