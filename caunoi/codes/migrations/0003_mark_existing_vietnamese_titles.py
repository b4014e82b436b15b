"""Vietnamese titles present before the source was recorded were typed in the admin: mark them
"admin", so that loading the project's translation never overwrites them."""

from django.db import migrations


def mark_admin(apps, schema_editor):
    IcdCode = apps.get_model("codes", "IcdCode")
    IcdCode.objects.exclude(title_vi="").filter(title_vi_source="").update(title_vi_source="admin")


def unmark(apps, schema_editor):
    IcdCode = apps.get_model("codes", "IcdCode")
    IcdCode.objects.filter(title_vi_source="admin").update(title_vi_source="")


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0002_vietnamese_title_source_and_groups"),
    ]

    operations = [migrations.RunPython(mark_admin, unmark)]
