"""Questionnaire facts sibling record apps read through ``ketacare.patients.facts`` (docs/decisions/0013)."""

from __future__ import annotations

import datetime as dt

from ketacare.patients.facts import SUICIDE_RISK, SuicideRisk
from ketacare.patients.models import Patient
from ketacare.questionnaires.selectors import patient_responses

_LEVELS = ("low", "moderate", "high")


def suicide_risk_since(patient: Patient, *, since: dt.datetime | None) -> SuicideRisk:
    """Any suicide-risk item alert in valid responses since ``since``, and the highest graded level."""
    rows = patient_responses(patient=patient)
    if since is not None:
        rows = rows.filter(submitted_at__gte=since)
    positive = False
    highest: str | None = None
    for alerts in rows.values_list("item_alerts", flat=True):
        for alert in alerts or []:
            if alert.get("code") != SUICIDE_RISK:
                continue
            positive = True
            level = alert.get("level")
            if level in _LEVELS and (highest is None or _LEVELS.index(level) > _LEVELS.index(highest)):
                highest = level
    return SuicideRisk(item_positive=positive, highest_level=highest)
