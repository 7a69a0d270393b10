"""`{{ amount|mg }}`: an amount of drug as the register's pages and PDFs show it ("20,000", "-40.5").

One format for every amount a person reads, so a column never mixes "-40.50" with "-35" and a large
balance is grouped; the CSV and the API keep `fmt_mg` (no separators) for programs.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from ketacare.register.services import show_mg

register = template.Library()


@register.filter
def mg(amount: object) -> str:
    """The amount in mg, at most two places, trailing zeros dropped, thousands grouped; "" for none."""
    if amount is None or amount == "":
        return ""
    try:
        return show_mg(Decimal(str(amount)))
    except (InvalidOperation, ValueError):
        return str(amount)
