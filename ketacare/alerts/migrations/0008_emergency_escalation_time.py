"""An emergency or suicide-risk alert escalates on its own, shorter timer (existing clinics get 5 minutes)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0007_hold_mark_as_evidence'),
        ('clinics', '0005_home_bp_limits'),
    ]

    operations = [
        migrations.AddField(
            model_name='alertpolicy',
            name='emergency_escalate_after_min',
            field=models.PositiveIntegerField(default=5),
        ),
        migrations.AddConstraint(
            model_name='alertpolicy',
            constraint=models.CheckConstraint(condition=models.Q(('emergency_escalate_after_min__gte', 1), ('emergency_escalate_after_min__lte', 60), ('emergency_escalate_after_min__lte', models.F('escalate_after_min'))), name='alertpolicy_emergency_1_to_60_min_and_not_longer'),
        ),
    ]
