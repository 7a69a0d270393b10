"""Template filters that turn internal ids into display names (core.display): `{% load ketacare_display %}`."""

from __future__ import annotations

from django import template

from ketacare.core import display

register = template.Library()


@register.filter
def instrument_name(instrument_id: str) -> str:
    """'phq9' -> 'Patient Health Questionnaire-9 (PHQ-9)': what the questionnaire's own page is headed."""
    return display.instrument_name(str(instrument_id))


@register.filter
def instrument_short(instrument_id: str) -> str:
    """'phq9' -> 'PHQ-9'."""
    return display.instrument_short(str(instrument_id))


@register.filter
def route_name(route: str) -> str:
    """'esketamine_in' -> 'esketamine nasal spray'."""
    return display.route_name(str(route or ""))


@register.filter
def display_name(identifier: str) -> str:
    """Any known id -> its display name (humanized when unknown)."""
    return display.name_for(str(identifier or ""))


@register.filter
def plain_ids(text: str) -> str:
    """Replace known ids inside a sentence by their display names."""
    return display.replace_ids(str(text or ""))
