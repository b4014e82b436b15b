"""Before this version a second record with the same citizen ID (or the same social-insurance
number, the last 10 characters of the card number) could be registered at one facility after
the worker ticked "this is another person". From now on the database refuses that (0005). The
records already there are kept — they may carry consultations and referrals — but each one after
the oldest of its group is marked ``identifier_conflict``: left out of the new constraints and
shown on its patient page with a link to the other record, until someone at the facility
reconciles them. ``migrate`` prints every group it marked."""

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Substr


# (the key grouped on, the field that must not be blank, how the report names it)
KEYS = [
    ("citizen_id", "citizen_id", "citizen ID"),
    ("bhxh", "insurance_number", "social-insurance number"),
]


def flag_duplicate_identifiers(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    report = []
    for key, field, label in KEYS:
        rows = Patient.objects.exclude(**{field: ""}).annotate(bhxh=Substr("insurance_number", 6))
        groups = (
            rows.values("facility_id", key)
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by("facility_id", key)
        )
        for group in groups:
            records = list(
                rows.filter(facility_id=group["facility_id"], **{key: group[key]})
                .select_related("facility")
                .order_by("created_at", "id")
            )
            Patient.objects.filter(pk__in=[p.pk for p in records[1:]]).update(
                identifier_conflict=True
            )
            first = records[0]
            report.append(
                f"  {first.facility.code or first.facility.name} · {label} {group[key]}: "
                f"kept {first.public_id}, marked "
                + ", ".join(str(p.public_id) for p in records[1:])
            )
    if report:
        print(
            f"\n  {len(report)} identifiers were held by more than one patient record of one "
            "facility. Every record is kept; the later ones are marked for review "
            "(identifier_conflict) and their pages link to the first:\n" + "\n".join(report)
        )


def unflag(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    Patient.objects.filter(identifier_conflict=True).update(identifier_conflict=False)


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_patient_identifier_conflict")]

    operations = [migrations.RunPython(flag_duplicate_identifiers, unflag)]
