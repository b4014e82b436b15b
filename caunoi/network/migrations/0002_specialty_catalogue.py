"""The specialty catalogue every installation starts with. Administrators may add more."""

from django.db import migrations

# (code, Vietnamese, English, common, order). "Common" specialties are those every commune
# station should be able to ask a hub about.
SPECIALTIES = [
    ("internal-medicine", "Nội khoa", "Internal medicine", True, 10),
    ("paediatrics", "Nhi khoa", "Paediatrics", True, 20),
    ("obstetrics-gynaecology", "Sản phụ khoa", "Obstetrics and gynaecology", True, 30),
    ("cardiology", "Tim mạch", "Cardiology", True, 40),
    ("dermatology", "Da liễu", "Dermatology", True, 50),
    ("imaging", "Chẩn đoán hình ảnh", "Diagnostic imaging", True, 60),
    ("surgery", "Ngoại khoa", "Surgery", True, 70),
    ("infectious-diseases", "Truyền nhiễm", "Infectious diseases", True, 80),
    ("emergency", "Hồi sức cấp cứu", "Emergency and critical care", True, 90),
    ("endocrinology", "Nội tiết", "Endocrinology", False, 100),
    ("psychiatry", "Tâm thần", "Psychiatry", False, 110),
    ("ophthalmology", "Mắt", "Ophthalmology", False, 120),
    ("ent", "Tai mũi họng", "Ear, nose and throat", False, 130),
    ("odonto-stomatology", "Răng hàm mặt", "Odonto-stomatology", False, 140),
    ("oncology", "Ung bướu", "Oncology", False, 150),
    ("pathology", "Giải phẫu bệnh", "Pathology", False, 160),
    ("traditional-medicine", "Y học cổ truyền", "Traditional medicine", False, 170),
    ("rehabilitation", "Phục hồi chức năng", "Rehabilitation", False, 180),
]


def add_specialties(apps, schema_editor):
    Specialty = apps.get_model("network", "Specialty")
    for code, name_vi, name_en, common, order in SPECIALTIES:
        Specialty.objects.update_or_create(
            code=code,
            defaults={"name_vi": name_vi, "name_en": name_en, "is_common": common, "sort_order": order},
        )


def remove_specialties(apps, schema_editor):
    Specialty = apps.get_model("network", "Specialty")
    Specialty.objects.filter(code__in=[row[0] for row in SPECIALTIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("network", "0001_registry")]

    operations = [migrations.RunPython(add_specialties, remove_specialties)]
