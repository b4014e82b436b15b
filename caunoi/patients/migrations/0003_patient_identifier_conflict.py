from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_patient_patient_updated_idx")]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="identifier_conflict",
            field=models.BooleanField(
                default=False,
                editable=False,
                verbose_name="shares an identifier with an older record",
            ),
        ),
    ]
