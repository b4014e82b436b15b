"""Technique transfer in the demo: Huế Central Hospital transfers techniques to Bệnh viện Hữu
nghị Đa khoa Nghệ An (Vinh, the North Central region's coming hub) and to Tuyên Quang's
provincial hospital — one in each state, the earliest with a year of monthly volumes, a running
one with a late report. Built once; through the services, with dates moved into the past where
history needs them (a year of reports needs an authorisation a year ago)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.network.access import CLINICAL_ROLES
from caunoi.network.models import Facility, Membership, Specialty
from caunoi.transfers.models import CaseKind, Technique, Transfer, TransferEvent
from caunoi.transfers.services import (
    CaseInput,
    ReportInput,
    TransferInput,
    assessment_record,
    authorise,
    case_record,
    observation_complete,
    report_due,
    report_file,
    report_months,
    sign_off,
    theory_complete,
    transfer_create,
)

HUE = "Bệnh viện Trung ương Huế"
NGHE_AN = "Bệnh viện Hữu nghị Đa khoa Nghệ An"
TUYEN_QUANG = "Bệnh viện Đa khoa tỉnh Tuyên Quang"

# (code, name, specialty, level) — names and codes in the manner of the Ministry's list.
CATALOGUE = [
    ("02.0085", "Can thiệp động mạch vành qua da (đặt stent)", "cardiology", "specialised"),
    ("10.0613", "Phẫu thuật nội soi cắt túi mật", "surgery", "basic"),
    ("01.0159", "Lọc máu liên tục (CRRT)", "emergency", "specialised"),
    ("02.0123", "Nội soi phế quản ống mềm", "internal-medicine", "specialised"),
    ("18.0021", "Siêu âm tim qua thành ngực", "imaging", "basic"),
    ("13.0045", "Phẫu thuật nội soi u nang buồng trứng", "obstetrics-gynaecology", "basic"),
    ("03.0210", "Thở máy không xâm nhập ở trẻ em", "paediatrics", "basic"),
]


def _staff(facility: Facility, specialty: str | None = None) -> list[User]:
    qs = Membership.objects.active().filter(facility=facility, role__in=sorted(CLINICAL_ROLES))
    if specialty:
        chosen = qs.filter(specialties__code=specialty)
        qs = chosen if chosen.exists() else qs
    return [m.user for m in qs.select_related("user").order_by("id")[:3]]


def _head(facility: Facility, prefer: str = "") -> User:
    m = (
        Membership.objects.active()
        .filter(facility=facility, role__in=sorted(CLINICAL_ROLES))
        .filter(**({"user__username": prefer} if prefer else {}))
        .order_by("id")
        .first()
    ) or Membership.objects.active().filter(facility=facility).order_by("id").first()
    assert m is not None
    m.is_head = True
    m.save(update_fields=["is_head", "updated_at"])
    return m.user


def demo_transfers_load(*, progress: Callable[[str], None] | None = None) -> int:
    say = progress or (lambda _message: None)
    if Transfer.objects.exists():
        say("demo transfers already loaded")
        return 0
    hue = Facility.objects.get(name=HUE)
    nghe_an = Facility.objects.get(name=NGHE_AN)
    tuyen_quang = Facility.objects.get(name=TUYEN_QUANG)
    coordinator = User.objects.get(username="coordinator")
    today = timezone.localdate()
    with transaction.atomic():
        techniques = {
            code: Technique.objects.create(
                code=code,
                name_vi=name,
                specialty=Specialty.objects.get(code=specialty),
                level=level,
            )
            for code, name, specialty, level in CATALOGUE
        }
        heads = {nghe_an.pk: _head(nghe_an), tuyen_quang.pk: _head(tuyen_quang, "receiver")}
        # (receiver, technique, the state it reaches, agreed days ago, authorised days ago)
        plan = [
            (nghe_an, "02.0085", "authorised", 540, 420),
            (nghe_an, "10.0613", "authorised", 330, 150),
            (nghe_an, "01.0159", "observed", 120, None),
            (nghe_an, "13.0045", "theory_done", 60, None),
            (tuyen_quang, "02.0123", "signed_off", 200, None),
            (tuyen_quang, "18.0021", "assessed", 150, None),
            (tuyen_quang, "03.0210", "agreed", 20, None),
        ]
        made = 0
        for receiver, code, state, agreed_ago, authorised_ago in plan:
            technique = techniques[code]
            trainers = _staff(hue, technique.specialty.code)[:2]
            trainees = _staff(receiver, technique.specialty.code)[:2]
            agreed = today - timedelta(days=agreed_ago)
            t, _created = transfer_create(
                actor=trainers[0],
                hub=hue,
                client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-transfer-{code}"),
                data=TransferInput(
                    receiver=receiver,
                    technique=technique,
                    agreement_number=f"{15 + made}/HĐ-CGKT",
                    agreed_on=agreed,
                    planned_end=agreed + timedelta(days=270),
                    observed_target=2,
                    supervised_target=6,
                    trainers=trainers,
                    trainees=trainees,
                ),
            )
            made += 1
            _advance(t, state, trainers, trainees, coordinator, heads[receiver.pk], agreed)
            if authorised_ago is not None:
                _history(t, today, authorised_ago, trainees[0])
    say(f"{made} technique transfers, {len(techniques)} techniques in the catalogue")
    return made


def _advance(
    t: Transfer,
    state: str,
    trainers: list[User],
    trainees: list[User],
    coordinator: User,
    head: User,
    agreed: date,
) -> None:
    order = ["agreed", "theory_done", "observed", "assessed", "signed_off", "authorised"]
    reach = order.index(state)
    trainer = trainers[0]
    span = max((timezone.localdate() - agreed).days, 1)

    def log(kind: str, n: int, start: float) -> None:
        for i in range(n):
            day = agreed + timedelta(days=int(span * (start + 0.1 * i / max(n, 1))))
            case_record(
                transfer=t,
                actor=trainer,
                data=CaseInput(
                    kind=kind,
                    performed_on=min(day, timezone.localdate()),
                    trainee=trainees[i % len(trainees)],
                    supervisor=trainers[i % len(trainers)],
                    complication=kind == CaseKind.SUPERVISED and i == 2,
                    note="Biến chứng nhẹ, xử trí tại chỗ." if i == 2 else "",
                ),
            )

    if reach >= 1:
        theory_complete(transfer=t, actor=trainer)
        log(CaseKind.OBSERVED, 2 if reach >= 2 else 1, 0.15)
    if reach >= 2:
        observation_complete(transfer=t, actor=trainer)
        log(CaseKind.SUPERVISED, 6 if reach >= 3 else 4, 0.35)
    if reach >= 3:
        assessment_record(
            transfer=t,
            actor=trainer,
            passed=True,
            note="Kíp thực hiện độc lập, đúng quy trình, xử trí được biến chứng thường gặp.",
        )
    if reach >= 4:
        sign_off(transfer=t, actor=coordinator)
    if reach >= 5:
        t.refresh_from_db()


def _history(t: Transfer, today: date, authorised_ago: int, reporter: User) -> None:
    """Authorised ``authorised_ago`` days ago, with its monthly reports since — all but the
    last month due (left for the scheduled check to flag, as it would have been)."""
    on = today - timedelta(days=authorised_ago)
    Transfer.objects.filter(pk=t.pk).update(
        signed_off_at=timezone.now() - timedelta(days=authorised_ago + 10)
    )
    TransferEvent.objects.filter(transfer=t).update(
        at=timezone.now() - timedelta(days=authorised_ago + 10)
    )
    t.refresh_from_db()
    head = Membership.objects.get(facility=t.receiver, is_head=True).user
    authorise(transfer=t, actor=head, decision_number="208/QĐ-BV", on=on)
    zone = timezone.get_current_timezone()
    TransferEvent.objects.filter(transfer=t, kind="authorised").update(
        at=datetime(on.year, on.month, on.day, 9, tzinfo=zone)
    )
    months = [m for m in report_months(on) if m < today.replace(day=1)]
    finished = len(months) == 12
    for n, month in enumerate(months if finished else months[:-1]):
        performed = 4 + n + (n % 3)
        report_file(
            transfer=t,
            actor=reporter,
            data=ReportInput(
                month=month,
                performed=performed,
                complications=1 if n % 4 == 1 else 0,
                referred_onward=1 if n == 2 else 0,
            ),
        )
        filed = report_due(month) - timedelta(days=4)  # a few days before it was due
        TransferEvent.objects.filter(
            transfer=t, kind="reported", detail__month=month.isoformat()
        ).update(at=filed)
