"""Demo referrals in every state: `worker`'s station among the senders, `receiver`'s hospital
among the receivers, the rest across the demo provinces. Built once through the services, then
moved back in time; deterministic."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.codes.models import IcdCode
from caunoi.consults.models import Consultation
from caunoi.demo.network import stable_uuid
from caunoi.network.models import Facility, FacilityKind, Membership, Role
from caunoi.patients.models import Patient
from caunoi.referrals.models import Referral, ReferralEvent
from caunoi.referrals.services import (
    ReferralInput,
    referral_accept,
    referral_acknowledge,
    referral_arrive,
    referral_cancel,
    referral_counter_refer,
    referral_create,
    referral_decline,
    referral_discharge,
)

CASES = [
    ("Đau ngực khi gắng sức, cần điện tâm đồ gắng sức", "I20.9", "ambulance"),
    ("Sốt cao, ho, ran phổi, SpO₂ 92%", "J18.9", "facility_vehicle"),
    ("Đường huyết không kiểm soát dù đã dùng thuốc", "E11.9", "family"),
    ("Đau bụng hạ sườn phải, nghi sỏi mật", "K80.2", "family"),
    ("Thai 34 tuần, huyết áp 150/100", "O14.9", "ambulance"),
    ("Trẻ 3 tuổi sốt co giật", "R56.0", "ambulance"),
]
# The states the demo shows, in order of how far the loop went.
STEPS = [
    "sent",
    "accepted",
    "declined",
    "arrived",
    "discharged",
    "counter_referred",
    "acknowledged",
    "cancelled",
]


def _clinician(facility: Facility) -> User:
    m = (
        Membership.objects.active()
        .filter(facility=facility, role=Role.CLINICIAN)
        .order_by("id")
        .first()
    )
    if m is None:
        m = Membership.objects.active().filter(facility=facility).order_by("id").first()
    assert m is not None
    return m.user


def demo_referrals_load(*, progress: Callable[[str], None] | None = None) -> int:
    say = progress or (lambda _message: None)
    if Referral.objects.filter(client_id=stable_uuid("demo-referral", 0)).exists():
        say("demo referrals already loaded")
        return 0
    rng = random.Random("referrals-demo-1")
    worker = User.objects.get(username="worker")
    receiver = User.objects.get(username="receiver")
    hospital = Membership.objects.get(user=receiver).facility
    assert hospital is not None
    station = Membership.objects.get(user=worker).facility
    assert station is not None
    # Patients to refer: the worker's own first, then patients of other stations of the demo.
    theirs = list(Patient.objects.filter(facility=station).order_by("id")[:10])
    others = list(
        Patient.objects.filter(
            facility__kind=FacilityKind.STATION, facility__province=hospital.province
        )
        .exclude(facility=station)
        .order_by("id")[:14]
    )
    now = timezone.now()
    made = 0
    with transaction.atomic():
        for n, patient in enumerate(theirs + others):
            sender = worker if patient.facility_id == station.pk else _staff_of(patient.facility)
            if sender is None:
                continue
            reason, code, transport = CASES[n % len(CASES)]
            consult = Consultation.objects.filter(patient=patient, status="closed").first()
            r, _created = referral_create(
                actor=sender,
                client_id=stable_uuid("demo-referral", n),
                data=ReferralInput(
                    patient=patient,
                    to_facility=hospital,
                    reason=reason,
                    consultation=consult,
                    clinical_summary="Đã hội chẩn từ xa với tuyến trên." if consult else "",
                    diagnoses=list(IcdCode.objects.filter(code=code)),
                    urgency=rng.choice(["routine", "urgent"]),
                    transport=transport,
                    accompanying_staff=sender.get_full_name() if transport == "ambulance" else "",
                ),
            )
            step = STEPS[n % len(STEPS)]
            _advance(r, step, sender, _clinician(hospital) if n % 2 else receiver)
            _backdate(r, now - timedelta(days=2 + n * 3, hours=rng.randint(0, 8)))
            made += 1
    say(f"referrals: {made}")
    return made


def _staff_of(facility: Facility) -> User | None:
    m = (
        Membership.objects.active()
        .filter(facility=facility, role=Role.WORKER)
        .order_by("id")
        .first()
    )
    return m.user if m else None


def _advance(r: Referral, step: str, sender: User, clinician: User) -> None:
    def fresh() -> Referral:
        return Referral.objects.get(pk=r.pk)

    if step == "cancelled":
        referral_cancel(referral=fresh(), actor=sender)
        return
    if step == "declined":
        referral_decline(
            referral=fresh(),
            actor=clinician,
            reason="Khoa Tim mạch hết giường; đề nghị chuyển bệnh viện trung ương.",
        )
        return
    order = ["accepted", "arrived", "discharged", "counter_referred", "acknowledged"]
    if step not in order:
        return
    for s in order[: order.index(step) + 1]:
        if s == "accepted":
            referral_accept(referral=fresh(), actor=clinician)
        elif s == "arrived":
            referral_arrive(referral=fresh(), actor=clinician)
        elif s == "discharged":
            referral_discharge(referral=fresh(), actor=clinician, outcome="outpatient")
        elif s == "counter_referred":
            referral_counter_refer(
                referral=fresh(),
                actor=clinician,
                diagnosis="Chẩn đoán xác định tại bệnh viện tỉnh",
                medication="Theo đơn kèm theo",
                follow_up="Trạm theo dõi, đo huyết áp hằng ngày, tái khám sau 1 tháng",
            )
        elif s == "acknowledged":
            referral_acknowledge(referral=fresh(), actor=sender)


def _backdate(r: Referral, sent: datetime) -> None:
    """Move the referral's times back, keeping their order: each step 6 hours after the last."""
    shift = sent - Referral.objects.get(pk=r.pk).sent_at
    row = Referral.objects.get(pk=r.pk)
    fields = [
        "sent_at",
        "departed_at",
        "decided_at",
        "arrived_at",
        "discharged_at",
        "counter_referred_at",
        "acknowledged_at",
    ]
    updates = {}
    for i, name in enumerate(fields):
        value = getattr(row, name)
        if value is not None:
            updates[name] = sent + timedelta(hours=6 * max(i - 1, 0))
    updates["created_at"] = sent
    Referral.objects.filter(pk=r.pk).update(**updates)
    for e in ReferralEvent.objects.filter(referral=r):
        ReferralEvent.objects.filter(pk=e.pk).update(at=e.at + shift)
