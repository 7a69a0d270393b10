"""Alerts raised before the hold on the next dose was marked as evidence carry it only in their words.

Every such alert says "paused until a prescriber" in its title or detail (checkins HOLD_TITLE and
HOLD_DETAIL, the bladder check's title); it gets ``evidence["holds_next_dose"] = True`` so that only a
prescriber may still resolve it (Alert.needs_prescriber no longer reads words).
"""

from typing import Any

from django.db import migrations
from django.db.models import Q

HOLD_WORDS = "paused until a prescriber"


def mark_held_doses(apps: Any, schema_editor: Any) -> None:
    alert_model = apps.get_model("alerts", "Alert")
    worded = alert_model.objects.filter(Q(title__icontains=HOLD_WORDS) | Q(detail__icontains=HOLD_WORDS))
    for alert in worded.iterator():
        evidence = dict(alert.evidence or {})
        if evidence.get("holds_next_dose") is not True:
            evidence["holds_next_dose"] = True
            alert_model.objects.filter(pk=alert.pk).update(evidence=evidence)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0006_clinic_level_alerts")]

    operations = [migrations.RunPython(mark_held_doses, migrations.RunPython.noop)]
