"""Template filters that turn internal ids into display names (core.display): `{% load ketacare_display %}`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from ketacare.core import display
from ketacare.core.knowledge import Evidence, UnknownIdError, get_source
from ketacare.core.triage import describe_minutes

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


@register.filter
def source_citations(source_ids: object) -> str:
    """['Iatrox', 'Simon2013'] -> their citations, '; '-joined (an id the knowledge base lacks stays as is)."""
    if not isinstance(source_ids, list | tuple):
        return ""
    cited = []
    for source_id in source_ids:
        try:
            cited.append(get_source(str(source_id)).citation)
        except UnknownIdError:
            cited.append(str(source_id))
    return "; ".join(cited)


@register.filter
def zone_place(zone_name: object) -> str:
    """'America/New_York' -> 'New York', 'America/Argentina/Buenos_Aires' -> 'Buenos Aires': a time zone
    as people name it; 'UTC' stays."""
    name = str(zone_name or "")
    return name.rsplit("/", 1)[-1].replace("_", " ") if name else ""


@register.filter
def minutes_words(minutes: object) -> str:
    """90 -> '1.5 hours', 4465 -> '3 days': a span of minutes as people say it (core.triage's words)."""
    if isinstance(minutes, bool) or not isinstance(minutes, int | float | Decimal):
        return ""
    return describe_minutes(float(minutes))


@register.filter
def evidence_words(evidence: str) -> str:
    """'cons' -> 'expert consensus or guideline' (an unknown tag stays as is)."""
    try:
        return Evidence(str(evidence)).plain
    except ValueError:
        return str(evidence or "")


@register.filter
def ago(moment: object) -> str:
    """A past moment as people say it: "just now" under two minutes (never "0 minutes ago"), else
    "40 minutes ago", "3 days ago"."""
    if not isinstance(moment, dt.datetime):
        return ""
    if timezone.now() - moment < dt.timedelta(minutes=2):
        return "just now"
    return f"{timesince(moment)} ago"
