"""The Ministry of Health's priority areas for aid, as the issue names them; the administrator
keeps the catalogue from here on."""

from django.db import migrations

AREAS = [
    ("grassroots-health", "Y tế cơ sở", "Grassroots health"),
    ("medical-training", "Đào tạo nhân lực y tế", "Medical training"),
    ("disease-control", "Phòng, chống dịch bệnh", "Disease control"),
    ("service-quality", "Chất lượng dịch vụ y tế", "Service quality"),
    ("infrastructure", "Cơ sở hạ tầng y tế", "Infrastructure"),
    ("digital-transformation", "Chuyển đổi số y tế", "Digital transformation"),
]


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    PriorityArea = apps.get_model("programmes", "PriorityArea")
    for n, (code, vi, en) in enumerate(AREAS, start=1):
        PriorityArea.objects.update_or_create(
            code=code, defaults={"name_vi": vi, "name_en": en, "position": n}
        )


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_programmes")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
