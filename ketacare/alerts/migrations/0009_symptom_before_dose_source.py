"""A side effect reported before any dose gets a source of its own ("Symptom reported before any dose").

Such alerts raised earlier were stored under "side_effect_overdue", whose label says the effect lasts
longer than expected: they move to the new source. Only the check-in raises them, always titled
"<symptom> reported before any dose" (checkins.services.episodes), so the title finds them.
"""

from typing import Any

from django.db import migrations, models

BEFORE_ANY_DOSE_TITLE_END = " reported before any dose"


def move_before_any_dose_alerts(apps: Any, schema_editor: Any) -> None:
    alert_model = apps.get_model("alerts", "Alert")
    alert_model.objects.filter(
        source="side_effect_overdue", title__endswith=BEFORE_ANY_DOSE_TITLE_END
    ).update(source="symptom_before_dose")


def move_them_back(apps: Any, schema_editor: Any) -> None:
    apps.get_model("alerts", "Alert").objects.filter(source="symptom_before_dose").update(
        source="side_effect_overdue"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0008_emergency_escalation_time"),
    ]

    operations = [
        migrations.AlterField(
            model_name="alert",
            name="source",
            field=models.CharField(
                choices=[
                    ("red_flag_checkin", "Red flag in a check-in"),
                    ("phq9_item9", "PHQ-9 item 9 (thoughts of self-harm)"),
                    ("side_effect_overdue", "Side effect lasting longer than expected"),
                    ("symptom_before_dose", "Symptom reported before any dose"),
                    ("vital_sign", "Vital sign"),
                    ("worsening_trend", "Worsening trend"),
                    ("missed_checkin", "Missed check-in"),
                    ("dropout_risk", "Drop-out risk"),
                    ("rems_deadline", "REMS deadline"),
                    ("dosing_hold", "Dosing hold"),
                    ("adverse_event", "Adverse event in a session"),
                    ("discharge_override", "Discharge with a criterion overridden"),
                    ("home_blood_pressure", "Home blood pressure"),
                    ("checkin_review", "Check-in words to review"),
                    ("periodic_check", "Periodic bladder or cravings check"),
                    ("patient_message", "Patient message"),
                    ("register_count", "Controlled-drug count difference"),
                ],
                max_length=30,
            ),
        ),
        migrations.RunPython(move_before_any_dose_alerts, move_them_back),
    ]
