from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0005_medicine_classification"),
    ]

    operations = [
        migrations.AddField(
            model_name="medicationlist",
            name="no_medicines",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="screeningassessment",
            name="all_items_asked",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="screeningassessment",
            name="no_medicines",
            field=models.BooleanField(default=False),
        ),
    ]
