from typing import Any

from django.db import migrations


def recount_funnels(apps: Any, schema_editor: Any) -> None:
    # An appointment now counts as completed only when its session was discharged: the rows kept so far
    # counted the appointment's status. The same statement as `ketacare outcomes-rebuild` (plain SQL,
    # not the historical models) replaces every row.
    from ketacare.outcomes.funnel_sql import store_plan_funnels

    clinic_ids = list(apps.get_model("clinics", "Clinic").objects.values_list("id", flat=True))
    if clinic_ids:
        store_plan_funnels(clinic_ids=clinic_ids)


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_plan_funnel"),
    ]

    operations = [
        migrations.RunPython(recount_funnels, migrations.RunPython.noop),
    ]
