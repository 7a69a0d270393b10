from django.db import migrations


def withdraw(apps, schema_editor):
    """An archived patient's invitation still open is withdrawn as of the archiving, as archiving does
    now: restoring the patient must not bring its link back."""
    PatientInvitation = apps.get_model("patients", "PatientInvitation")
    open_ones = PatientInvitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, patient__archived_at__isnull=False
    ).values_list("pk", "patient__archived_at")
    for pk, archived_at in list(open_ones):
        PatientInvitation.objects.filter(pk=pk).update(revoked_at=archived_at)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_archive_reason_and_search_text"),
    ]

    operations = [
        migrations.RunPython(withdraw, migrations.RunPython.noop),
    ]
