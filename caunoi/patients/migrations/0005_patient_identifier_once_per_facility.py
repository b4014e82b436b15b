import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0002_specialty_catalogue"),
        ("patients", "0004_flag_duplicate_identifiers"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("citizen_id", ""), _negated=True), ("identifier_conflict", False)
                ),
                fields=("facility", "citizen_id"),
                name="patient_citizen_id_once_per_facility",
            ),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(
                models.F("facility"),
                django.db.models.functions.text.Substr("insurance_number", 6),
                condition=models.Q(
                    models.Q(("insurance_number", ""), _negated=True),
                    ("identifier_conflict", False),
                ),
                name="patient_insurance_once_per_facility",
            ),
        ),
    ]
