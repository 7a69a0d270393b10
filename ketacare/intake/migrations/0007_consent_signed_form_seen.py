from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0006_screening_asked_and_no_medicines"),
    ]

    operations = [
        migrations.AddField(
            model_name="consent",
            name="signed_form_seen",
            field=models.BooleanField(default=False),
        ),
    ]
