"""Demo consultations for ``make demo``: about 300 cases across the demo network, in every state,
so that the personas find a platform that has been in use for three months.

Every change goes through the real services (submission, claim or assignment, messages, advice,
closing, cancelling, escalation), so the timeline events, audit rows and notifications are the
ones real use makes. The services stamp everything "now"; after each step the rows that step
made are moved back to the step's planned time (see ``DemoConsults.stamp``), keeping
submitted < first response <= answered < closed and deadline = submitted + the hub's minutes
for the urgency. The audit trail is the exception: it is a hash chain, so its rows keep the
time they were really written.

Patients, clinical content, images and dates come from fixed seeds; client ids from
``stable_uuid``. Only "now" moves between runs.
"""

from __future__ import annotations

import io
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Replace
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from vietnam_provinces.legacy import District, DistrictCode

from caunoi.accounts.models import User
from caunoi.codes.models import IcdCode
from caunoi.consults.models import (
    Attachment,
    Consultation,
    ConsultationEvent,
    ConsultationEventKind,
    Message,
    OnCallShift,
    Outcome,
    Status,
    Urgency,
    deadline_minutes,
)
from caunoi.consults.routing import route
from caunoi.consults.services import (
    ConsultationInput,
    Upload,
    advice_record,
    consultation_assign,
    consultation_cancel,
    consultation_claim,
    consultation_close,
    consultation_escalate,
    consultation_submit,
    danger_sign_check,
    message_post,
    oncall_shift_add,
)
from caunoi.consults.tasks import consultation_deadline_check
from caunoi.core.pdf import FONTS
from caunoi.demo import content
from caunoi.demo.network import (
    BAC_NINH,
    CAN_THO,
    HUE,
    HUNG_YEN,
    LANG_SON,
    NGHE_AN,
    QUANG_NGAI,
    TAY_NINH,
    THAI_NGUYEN,
    TUYEN_QUANG,
    VINH_LONG,
    NameMaker,
    stable_uuid,
)
from caunoi.network.models import Facility, FacilityKind, Membership, Role, Specialty
from caunoi.notifications.models import Notification
from caunoi.patients.ethnicity import ETHNIC_GROUPS
from caunoi.patients.models import ConsentMethod, Household, Patient, PatientConsent, Sex
from caunoi.patients.services import PatientInput, consent_record, patient_register
from caunoi.triage import engine as triage

SEED = "consults-demo-1"

# The persona whose first demo consultation marks the demo as loaded.
MARKER = "worker"

MOUNTAIN, DELTA, CENTRAL, SOUTH = "mountain", "delta", "central", "south"
REGION = {
    TUYEN_QUANG: MOUNTAIN,
    THAI_NGUYEN: MOUNTAIN,
    LANG_SON: MOUNTAIN,
    HUNG_YEN: DELTA,
    BAC_NINH: DELTA,
    HUE: CENTRAL,
    QUANG_NGAI: CENTRAL,
    NGHE_AN: CENTRAL,
    CAN_THO: SOUTH,
    VINH_LONG: SOUTH,
    TAY_NINH: SOUTH,
}
# How many stations of each province send demo cases (besides the worker persona's own).
STATIONS_PER_PROVINCE = {
    TUYEN_QUANG: 10,
    THAI_NGUYEN: 4,
    LANG_SON: 4,
    HUE: 4,
    QUANG_NGAI: 4,
    NGHE_AN: 3,
    HUNG_YEN: 2,
    BAC_NINH: 2,
    CAN_THO: 2,
    VINH_LONG: 2,
    TAY_NINH: 2,
}
# Relative activity of a station: the programme's mountain communes use the service most.
REGION_WEIGHT = {MOUNTAIN: 3.0, CENTRAL: 2.0, DELTA: 1.0, SOUTH: 1.0}
HA_GIANG = 2  # pre-2025 province, now part of Tuyên Quang

_PATIENTS = content.load("patients")
# Ethnic make-up of the patients, by area (shares out of 100; names as in ETHNIC_GROUPS).
ETHNIC_MIX: dict[str, list[tuple[str, int]]] = {
    area: [(name, share) for name, share in mix] for area, mix in _PATIENTS["ethnic_mix"].items()
}
# Family names that tell the group in the northern mountains.
FAMILY_ETHNICITY: dict[str, str] = dict(_PATIENTS["family_ethnicity"])
# (poor, near-poor) households out of 100, by area.
HOUSEHOLD_MIX: dict[str, tuple[int, int]] = {
    area: (poor, near_poor) for area, (poor, near_poor) in _PATIENTS["household_mix"].items()
}
# Mobile prefixes in use (Viettel, VinaPhone, MobiFone).
MOBILE: list[str] = list(_PATIENTS["mobile_prefixes"])


@dataclass(frozen=True)
class Case:
    """A clinical picture a commune station asks about, with the hub's usual answer (one row of
    ``data/cases.json``).

    ``history`` may use {days}, {weeks}, {months}, {years}, {hours} and {gestation}.
    """

    key: str
    specialty: str
    ages: tuple[int, int]
    sex: str | None
    reason: str
    history: str
    examination: str
    treatment: str
    question: str
    vitals: dict[str, tuple[float, float]]
    codes: tuple[str, ...]
    ask: str
    reply: str
    advice: str
    outcome: str
    action: str
    urgency: tuple[int, int, int] = (82, 16, 2)  # routine, urgent, emergency
    image: str = ""
    regions: tuple[str, ...] = ()
    weight: int = 10


def _case(row: dict[str, Any]) -> Case:
    fields = dict(row)
    for name in ("ages", "codes", "urgency", "regions"):
        if name in fields:
            fields[name] = tuple(fields[name])
    fields["vitals"] = {name: tuple(span) for name, span in row["vitals"].items()}
    fields["sex"] = Sex(row["sex"]) if row["sex"] else None
    fields["outcome"] = Outcome(row["outcome"])
    return Case(**fields)


# The clinical pictures, in ``data/cases.json``.
CASES = [_case(row) for row in content.load("cases")]
CASE_BY_KEY = {c.key: c for c in CASES}

_MESSAGES = content.load("messages")
NUDGES: list[str] = list(_MESSAGES["nudges"])
THANKS: list[str] = list(_MESSAGES["thanks"])
# Why a station sends a case with danger signs less urgent than they call for (the form asks).
LOWER_REASONS = [
    "Gia đình đã đưa bệnh nhân xuống bệnh viện huyện bằng xe riêng; xin ý kiến để xử trí "
    "trên đường và bàn giao.",
    "Đã cho thở oxy tại trạm, SpO₂ lên 94 %, bệnh nhân tỉnh; xin ý kiến trong ngày.",
    "Trung tâm y tế khu vực đã nhận bệnh nhân; trạm hỏi để theo dõi sau khi về.",
    "Chỉ số đo lần hai đã về bình thường; xin ý kiến về hướng theo dõi tại nhà.",
]

IMAGE_NAMES = {
    "ecg": "dien-tim.jpg",
    "ecg_af": "dien-tim.jpg",
    "ecg_st": "dien-tim-12-chuyen-dao.jpg",
    "skin": "ton-thuong-da.jpg",
    "ring": "tham-da-hinh-vong.jpg",
    "papules": "ke-ngon-tay.jpg",
    "wound": "vet-thuong.jpg",
    "xray": "x-quang-nguc.jpg",
}

# The worker persona's own cases: at least a dozen internal-medicine consults to Huế in every
# state, so each persona finds something to do when they sign in.
WORKER_PLAN: list[tuple[str, str, dict[str, Any]]] = [
    ("htn", Status.CLOSED, {"thread": True, "thanks": True}),
    ("t2dm", Status.CLOSED, {}),
    ("gastritis", Status.CLOSED, {"thread": True}),
    ("pneumonia_adult", Status.CLOSED, {"late": True, "urgency": Urgency.URGENT, "claim": False}),
    ("copd", Status.CLOSED, {"thread": True, "thanks": True}),
    ("anaemia", Status.CLOSED, {}),
    ("htn", Status.ANSWERED, {"thread": True}),
    ("uti", Status.ANSWERED, {}),
    ("fever", Status.ASSIGNED, {"thread": True, "claim": False}),
    ("t2dm", Status.ASSIGNED, {}),
    ("copd", Status.ASSIGNED, {"overdue": True, "claim": False}),
    ("gastritis", Status.SUBMITTED, {}),
    ("htn", Status.SUBMITTED, {"urgency": Urgency.URGENT}),
    ("pneumonia_adult", Status.SUBMITTED, {"overdue": True}),
    ("anaemia", Status.DRAFT, {}),
    ("uti", Status.CANCELLED, {}),
    ("pregnancy_oedema", Status.CLOSED, {}),
    ("dermatitis", Status.ANSWERED, {"thread": True}),
    ("cold_child", Status.CLOSED, {}),
    ("pneumonia_child", Status.ASSIGNED, {"urgency": Urgency.URGENT, "thread": True}),
    ("heart_failure", Status.CLOSED, {"thread": True}),
    ("tb", Status.SUBMITTED, {}),
]
# Everyone else's cases: mostly closed, as in a service that has run for a while.
STATUS_MIX = [
    (Status.CLOSED, 52),
    (Status.ANSWERED, 10),
    (Status.ASSIGNED, 11),
    (Status.SUBMITTED, 12),
    (Status.DRAFT, 7),
    (Status.CANCELLED, 5),
]
OTHER_CONSULTS = 280


@dataclass
class Station:
    facility: Facility
    region: str
    area: str  # region, or "ha_giang" for the former Hà Giang province
    legacy_province: int  # pre-2025 province code (citizen IDs and insurance cards use it)
    workers: list[User]


@dataclass
class Plan:
    n: int
    case: Case
    station: Station
    requester: User
    status: str
    urgency: str
    overdue: bool = False  # open, no first response, deadline passed (escalated)
    late: bool = False  # answered after the deadline (escalated first)
    claim: bool = True  # a specialist takes it; otherwise a coordinator assigns it
    thread: bool = False  # the specialist asks, the station replies
    thanks: bool = False
    from_draft: bool = False  # cancelled before it was ever sent
    persona_specialist: bool = False


@dataclass
class Times:
    created: datetime
    submitted: datetime | None = None
    deadline: datetime | None = None
    assigned: datetime | None = None
    escalated: datetime | None = None
    nudge: datetime | None = None
    ask: datetime | None = None
    reply: datetime | None = None
    answered: datetime | None = None
    thanks: datetime | None = None
    closed: datetime | None = None

    def shifted(self, delta: timedelta) -> Times:
        moved = Times(created=self.created - delta)
        for name, value in vars(self).items():
            if name != "created" and value is not None:
                setattr(moved, name, value - delta)
        return moved


def plan_times(plan: Plan, minutes: int, now: datetime, rng: random.Random) -> Times:
    """When each step of ``plan`` happened, consistent with its deadline of ``minutes``."""
    due = timedelta(minutes=minutes)
    # A thread moves in minutes for an emergency and in hours otherwise.
    pace = min(due, timedelta(hours=4))
    drafting = timedelta(minutes=rng.uniform(6, 40))
    status = plan.status
    if status == Status.DRAFT:
        return Times(created=now - timedelta(hours=rng.uniform(1, 96)))
    if status == Status.CANCELLED and plan.from_draft:
        created = now - timedelta(days=rng.uniform(2, 80))
        return Times(created=created, closed=created + timedelta(hours=rng.uniform(1, 48)))
    if status == Status.CANCELLED:
        t0 = now - timedelta(days=rng.uniform(2, 85))
        return Times(
            created=t0 - drafting,
            submitted=t0,
            deadline=t0 + due,
            closed=t0 + pace * rng.uniform(0.05, 0.5),
        )
    if status in (Status.SUBMITTED, Status.ASSIGNED):
        if plan.overdue:
            t0 = now - due * rng.uniform(1.2, 3.0)
            t = Times(created=t0 - drafting, submitted=t0, deadline=t0 + due)
            t.escalated = t0 + due + timedelta(minutes=rng.uniform(1, 5))
            t.nudge = t.escalated + (now - t.escalated) * rng.uniform(0.1, 0.6)
            if status == Status.ASSIGNED:
                t.assigned = t0 + due * rng.uniform(0.1, 0.8)
            return t
        t0 = now - due * rng.uniform(0.1, 0.8)
        t = Times(created=t0 - drafting, submitted=t0, deadline=t0 + due)
        if status == Status.ASSIGNED:
            t.assigned = t0 + (now - t0) * rng.uniform(0.1, 0.5)
            if plan.thread:
                t.ask = t.assigned + (now - t.assigned) * rng.uniform(0.1, 0.5)
                t.reply = t.ask + (now - t.ask) * rng.uniform(0.2, 0.7)
        return t
    # Answered or closed.
    if status == Status.CLOSED:
        t0 = now - timedelta(days=rng.uniform(2, 88))
    else:
        t0 = now - timedelta(hours=rng.uniform(3, 120))
    t = Times(created=t0 - drafting, submitted=t0, deadline=t0 + due)
    if plan.late:
        t.escalated = t0 + due + timedelta(minutes=rng.uniform(1, 5))
        first = t.escalated + pace * rng.uniform(0.2, 1.5)
    else:
        first = t0 + due * rng.uniform(0.05, 0.7)
    t.assigned = t0 + (first - t0) * rng.uniform(0.1, 0.6)
    if plan.thread:
        t.ask = first
        t.reply = first + pace * rng.uniform(0.2, 1.0)
        t.answered = t.reply + pace * rng.uniform(0.2, 1.2)
    else:
        t.answered = first
    last = t.answered
    if plan.thanks:
        t.thanks = last = t.answered + pace * rng.uniform(0.1, 1.0)
    if status == Status.CLOSED:
        t.closed = last = last + timedelta(hours=rng.uniform(1, 72))
    limit = now - timedelta(minutes=5)
    return t.shifted(last - limit) if last > limit else t


# --- pictures ----------------------------------------------------------------------------------


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), size)


def _caption(draw: ImageDraw.ImageDraw, text: str, *, dark: bool = False) -> None:
    draw.rectangle([(0, 332), (480, 360)], fill=(20, 20, 20) if not dark else (0, 0, 0))
    draw.text((10, 337), text, font=_font(15), fill=(235, 235, 235))


def _ecg(kind: str, rng: random.Random) -> Image.Image:
    image = Image.new("RGB", (480, 360), (255, 247, 245))
    draw = ImageDraw.Draw(image)
    for x in range(0, 480, 12):
        draw.line([(x, 0), (x, 332)], fill=(236, 170, 170) if x % 60 == 0 else (250, 218, 218))
    for y in range(0, 332, 12):
        draw.line([(0, y), (480, y)], fill=(236, 170, 170) if y % 60 == 0 else (250, 218, 218))
    st = 14 if kind == "ecg_st" else 0
    for row, lead in enumerate(("DI", "DII", "V5")):
        base = 75 + row * 95
        raise_st = st if lead == "DII" else 0
        points = [(0, base)]
        x = rng.randint(4, 30)
        while x < 455:
            jitter = 0 if kind != "ecg_af" else rng.randint(-3, 3)
            if kind != "ecg_af":
                points += [(x, base), (x + 5, base - 6), (x + 10, base)]
            else:
                points += [(x, base + jitter), (x + 5, base - jitter), (x + 10, base + jitter)]
            points += [
                (x + 16, base),
                (x + 18, base + 6),
                (x + 22, base - 48),
                (x + 26, base + 12),
                (x + 29, base - raise_st),
                (x + 38, base - raise_st - 4),
                (x + 45, base - raise_st - 16),
                (x + 52, base),
            ]
            x += rng.randint(42, 100) if kind == "ecg_af" else rng.randint(68, 72)
        points.append((480, base))
        draw.line(points, fill=(25, 25, 25), width=2, joint="curve")
        draw.text((6, base - 40), lead, font=_font(13), fill=(60, 60, 60))
    _caption(draw, "Điện tim — 25 mm/s, 10 mm/mV")
    return image


def _skin(kind: str, rng: random.Random) -> Image.Image:
    tone = (rng.randint(196, 226), rng.randint(152, 180), rng.randint(122, 150))
    image = Image.new("RGB", (480, 360), tone)
    draw = ImageDraw.Draw(image)
    for y in range(0, 360, 4):  # soft light from one side
        shade = int(18 * y / 360)
        draw.line(
            [(0, y), (480, y)], fill=(tone[0] - shade, tone[1] - shade, tone[2] - shade), width=4
        )
    cx, cy = rng.randint(190, 290), rng.randint(140, 200)
    if kind == "ring":
        for _ in range(rng.randint(2, 3)):
            r = rng.randint(38, 70)
            x, y = cx + rng.randint(-120, 120), cy + rng.randint(-70, 60)
            draw.ellipse([(x - r, y - r), (x + r, y + r)], outline=(176, 70, 64), width=9)
            draw.ellipse(
                [(x - r + 9, y - r + 9), (x + r - 9, y + r - 9)],
                fill=(tone[0] - 8, tone[1] - 12, tone[2] - 10),
            )
    elif kind == "papules":
        for _ in range(70):
            x, y = rng.randint(30, 450), rng.randint(30, 310)
            r = rng.randint(2, 5)
            draw.ellipse([(x - r, y - r), (x + r, y + r)], fill=(182, 72, 70))
    elif kind == "wound":
        draw.ellipse([(cx - 120, cy - 55), (cx + 120, cy + 55)], fill=(200, 96, 88))
        draw.ellipse([(cx - 80, cy - 22), (cx + 80, cy + 22)], fill=(140, 30, 34))
        for _ in range(6):
            x, y = cx + rng.randint(-60, 60), cy + rng.randint(-12, 12)
            draw.ellipse([(x - 8, y - 5), (x + 8, y + 5)], fill=(226, 206, 120))
    else:
        points = []
        for i in range(28):
            angle = 2 * math.pi * i / 28
            radius = rng.uniform(70, 110)
            points.append((cx + radius * 1.3 * math.cos(angle), cy + radius * math.sin(angle)))
        draw.polygon(points, fill=(190, 84, 78))
        for _ in range(25):
            x, y = cx + rng.randint(-90, 90), cy + rng.randint(-60, 60)
            draw.ellipse([(x - 4, y - 4), (x + 4, y + 4)], fill=(214, 170, 120))
    image = image.filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(image)
    draw.line([(380, 300), (440, 300)], fill=(20, 20, 20), width=3)
    draw.text((395, 306), "1 cm", font=_font(13), fill=(20, 20, 20))
    _caption(
        draw,
        "Ảnh chụp tại trạm — tổn thương da"
        if kind != "wound"
        else "Ảnh chụp tại trạm — vết thương",
    )
    return image


def _xray(rng: random.Random) -> Image.Image:
    image = Image.new("RGB", (480, 360), (12, 12, 12))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([(70, 30), (410, 340)], radius=90, fill=(120, 120, 120))
    draw.ellipse([(100, 60), (230, 320)], fill=(45, 45, 45))
    draw.ellipse([(250, 60), (380, 320)], fill=(45, 45, 45))
    draw.rectangle([(228, 30), (252, 340)], fill=(200, 200, 200))
    for i in range(8):
        y = 70 + i * 30
        draw.arc([(95, y - 20), (235, y + 40)], 200, 340, fill=(150, 150, 150), width=5)
        draw.arc([(245, y - 20), (385, y + 40)], 200, 340, fill=(150, 150, 150), width=5)
    draw.ellipse([(225, 190), (330, 290)], fill=(165, 165, 165))  # heart
    x, y = rng.randint(120, 160), rng.randint(220, 250)
    draw.ellipse([(x, y), (x + 80, y + 60)], fill=(125, 125, 125))  # the opacity
    image = image.filter(ImageFilter.GaussianBlur(4))
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), "P", font=_font(28), fill=(240, 240, 240))
    _caption(draw, "X-quang ngực thẳng — TTYT khu vực", dark=True)
    return image


def picture(kind: str, rng: random.Random) -> bytes:
    """A small JPEG that looks enough like an ECG, a skin lesion, a wound or a chest film."""
    if kind.startswith("ecg"):
        image = _ecg(kind, rng)
    elif kind == "xray":
        image = _xray(rng)
    else:
        image = _skin(kind, rng)
    out = io.BytesIO()
    # The thin lines of an ECG grid cost many bytes; a lower quality keeps it near 25 KB.
    image.save(out, "JPEG", quality=55 if kind.startswith("ecg") else 72, optimize=True)
    return out.getvalue()


# --- the loader --------------------------------------------------------------------------------


class DemoConsults:
    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.rng = random.Random(SEED)
        self.names = NameMaker(f"{SEED}:patients")
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.specialties = {s.code: s for s in Specialty.objects.all()}
        self.codes = {
            c.code: c
            for c in IcdCode.objects.filter(code__in={x for case in CASES for x in case.codes})
        }
        self.hubs: dict[tuple[int, int], Facility | None] = {}
        self.specialists: dict[tuple[int, int], list[User]] = {}
        self.coordinators: dict[int, list[User]] = {}
        self.users: dict[int, User] = {}
        self.serials: set[int] = set()
        self.persona = {
            u.username: u
            for u in User.objects.filter(username__in=["worker", "specialist", "coordinator"])
        }

    # --- people and places --------------------------------------------------------------------

    def user(self, user_id: int) -> User:
        # One object per person: the access scope is cached on it, so the services' permission
        # checks cost no query after the first.
        if user_id not in self.users:
            self.users[user_id] = User.objects.get(pk=user_id)
        return self.users[user_id]

    def station(self, facility: Facility) -> Station:
        commune = facility.commune
        assert commune is not None
        legacy = (
            facility.province.legacy_codes[0]
            if facility.province.legacy_codes
            else facility.province.code
        )
        if commune.legacy_district_codes:
            legacy = District.from_code(
                DistrictCode(commune.legacy_district_codes[0])
            ).province_code
        region = REGION[facility.province.code]
        workers = [
            self.user(uid)
            for uid in Membership.objects.active()
            .filter(facility=facility, role=Role.WORKER)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        ]
        return Station(
            facility=facility,
            region=region,
            area="ha_giang" if legacy == HA_GIANG else region,
            legacy_province=int(legacy),
            workers=workers,
        )

    def stations(self, home: Facility) -> list[Station]:
        chosen = []
        for province, count in STATIONS_PER_PROVINCE.items():
            candidates = list(
                Facility.objects.active()
                .filter(kind=FacilityKind.STATION, province__code=province)
                .exclude(pk=home.pk)
                .select_related("province", "commune")
                .order_by("code")
            )
            chosen += self.rng.sample(candidates, min(count, len(candidates)))
        return [s for s in (self.station(f) for f in chosen) if s.workers]

    def hub(self, station: Station, specialty: Specialty) -> Facility | None:
        key = (station.facility.pk, specialty.pk)
        if key not in self.hubs:
            self.hubs[key] = route(station.facility, specialty)
        return self.hubs[key]

    def specialists_of(self, hub: Facility, specialty: Specialty) -> list[User]:
        key = (hub.pk, specialty.pk)
        if key not in self.specialists:
            ids = (
                Membership.objects.active()
                .filter(facility=hub, role=Role.SPECIALIST, specialties=specialty)
                .order_by("user_id")
                .values_list("user_id", flat=True)
            )
            self.specialists[key] = [self.user(uid) for uid in ids]
        return self.specialists[key]

    def coordinator_of(self, hub: Facility) -> User:
        if hub.pk not in self.coordinators:
            ids = (
                Membership.objects.active()
                .filter(facility=hub, role=Role.COORDINATOR)
                .order_by("user_id")
                .values_list("user_id", flat=True)
            )
            self.coordinators[hub.pk] = [self.user(uid) for uid in ids]
        people = self.coordinators[hub.pk]
        persona = self.persona.get("coordinator")
        if persona is not None and persona in people:
            return persona  # The persona triages her hub's cases, so her history is full.
        return self.rng.choice(people)

    # --- patients -----------------------------------------------------------------------------

    def ethnicity(self, station: Station, full_name: str) -> str:
        family = full_name.split()[0]
        if station.region in (MOUNTAIN, CENTRAL) and family in FAMILY_ETHNICITY:
            group = FAMILY_ETHNICITY[family]
        else:
            mix = ETHNIC_MIX[station.area]
            group = self.rng.choices([g for g, _ in mix], weights=[w for _, w in mix])[0]
        return f"{ETHNIC_GROUPS.index(group) + 1:02d}"

    def serial(self, digits: int) -> int:
        while True:
            value = self.rng.randrange(10 ** (digits - 1), 10**digits)
            if value not in self.serials:
                self.serials.add(value)
                return value

    def birth(self, case: Case) -> tuple[date, int]:
        low, high = case.ages
        if high < 6:
            days = self.rng.randint(max(low * 365, 20), (high + 1) * 365 - 10)
            born = self.today - timedelta(days=days)
        else:
            age = self.rng.randint(low, high)
            born = date(self.today.year - age, self.rng.randint(1, 12), self.rng.randint(1, 28))
        age = (
            self.today.year
            - born.year
            - ((self.today.month, self.today.day) < (born.month, born.day))
        )
        return born, age

    def phone(self) -> str:
        return f"+84{self.rng.choice(MOBILE)}{self.rng.randrange(10**7):07d}"

    def insurance(self, station: Station, age: int, ethnicity: str, household: str) -> str:
        rng = self.rng
        if rng.random() < 0.07:
            return ""  # Not everyone holds a card.
        if age < 6:
            group = "TE1"
        elif household == Household.POOR:
            group = "HN2"
        elif ethnicity != "01" and station.region == MOUNTAIN:
            group = "DT2"
        elif household == Household.NEAR_POOR:
            group = "CN3"
        elif age >= 80:
            group = "BT2"
        elif age >= 60 and rng.random() < 0.4:
            group = "HT3"
        elif 18 <= age < 60 and rng.random() < 0.2:
            group = "DN4"
        else:
            group = "GD4"
        return f"{group}{station.legacy_province:02d}{self.serial(10):010d}"

    def register(self, plan: Plan) -> tuple[Patient, Callable[[datetime], None]]:
        """Register the plan's patient (and record consent, unless a draft is still waiting
        for it); answers the patient and how to date both once the consultation's time is
        known (``when``: the case was begun)."""
        rng = self.rng
        case, station = plan.case, plan.station
        sex = case.sex or rng.choice([Sex.FEMALE, Sex.MALE])
        full_name = self.names.person(north=station.region == MOUNTAIN, female=sex == Sex.FEMALE)
        born, age = self.birth(case)
        ethnicity = self.ethnicity(station, full_name)
        poor, near_poor = HOUSEHOLD_MIX[station.area]
        roll = rng.randrange(100)
        household = (
            Household.POOR
            if roll < poor
            else Household.NEAR_POOR
            if roll < poor + near_poor
            else ""
        )
        citizen_id = ""
        if age >= 6 or rng.random() < 0.7:
            century = 2 if born.year >= 2000 else 0
            digit = century + (1 if sex == Sex.FEMALE else 0)
            citizen_id = (
                f"{station.legacy_province:03d}{digit}{born.year % 100:02d}{self.serial(6):06d}"
            )
        # Older people in the mountains often know only their age.
        estimated = age >= 60 and ethnicity != "01" and rng.random() < 0.4
        phone = ""
        if age < 6 or age >= 60:
            phone = self.phone() if rng.random() < 0.6 else ""  # a relative's phone
        elif rng.random() < 0.85:
            phone = self.phone()
        village = "Ấp" if station.region == SOUTH else "Thôn"
        commune = station.facility.commune
        assert commune is not None  # stations are placed in their commune
        data = PatientInput(
            full_name=full_name,
            sex=sex,
            commune=commune,
            birth_date=None if estimated else born,
            # The estimate is 1 January of (this year - age): keep the citizen ID's year.
            age_years=self.today.year - born.year if estimated else None,
            citizen_id=citizen_id,
            insurance_number=self.insurance(station, age, ethnicity, household),
            phone=phone,
            address=f"{village} {rng.randint(1, 14)}",
            ethnicity=ethnicity,
            household=household,
            has_disability=rng.random() < 0.03,
        )
        # Generated people are distinct by construction (serial numbers), so the look-alike
        # check would only stop two different people who happen to share a name and birthday.
        patient, _created = patient_register(
            actor=plan.requester,
            facility=station.facility,
            data=data,
            client_id=stable_uuid("demo-patient", plan.n),
            allow_duplicate=True,
        )
        before = (
            timedelta(days=rng.uniform(1, 400))
            if rng.random() < 0.4
            else timedelta(minutes=rng.uniform(20, 180))
        )
        consent_id: int | None = None
        if not (plan.status == Status.DRAFT and rng.random() < 0.3):
            # Otherwise consent is still to be asked: the case stays a draft.
            given_by = ""
            if age < 16:
                # A child's consent is given by a representative (Law 91/2025), usually the
                # mother.
                mother = rng.random() < 0.8
                parent = self.names.person(north=station.region == MOUNTAIN, female=mother)
                given_by = f"{parent} ({'mẹ' if mother else 'bố'})"
            consent_id = consent_record(
                patient=patient,
                actor=plan.requester,
                method=ConsentMethod.VERBAL if rng.random() < 0.6 else ConsentMethod.WRITTEN,
                given_by=given_by,
            ).pk

        def date_them(when: datetime) -> None:
            registered = when - before
            Patient.objects.filter(pk=patient.pk).update(
                created_at=registered, updated_at=registered
            )
            if consent_id is not None:
                PatientConsent.objects.filter(pk=consent_id).update(
                    given_at=when - timedelta(minutes=3)
                )

        return patient, date_them

    # --- clinical content ---------------------------------------------------------------------

    def summary(self, case: Case, patient: Patient) -> dict[str, Any]:
        rng = self.rng
        context = {
            "days": rng.randint(2, 6),
            "weeks": rng.randint(2, 6),
            "months": rng.randint(2, 8),
            "years": rng.randint(2, 12),
            "hours": rng.randint(1, 4),
            "gestation": rng.randint(24, 36),
        }
        summary: dict[str, Any] = {
            "reason": case.reason.format(**context),
            "history": case.history.format(**context),
            "examination": case.examination,
            "current_treatment": case.treatment,
            "question": case.question,
        }
        age = patient.age(self.today)
        child = age < 6
        ranges: dict[str, tuple[float, float]] = {}
        usual = (
            {
                "temperature": (36.6, 37.3),
                "pulse": (100, 130),
                "respiratory_rate": (24, 36),
                "spo2": (96, 99),
            }
            if child
            else {
                "temperature": (36.4, 37.1),
                "pulse": (68, 90),
                "systolic": (105, 135),
                "diastolic": (65, 85),
                "respiratory_rate": (16, 20),
                "spo2": (96, 99),
            }
        )
        for name, span in usual.items():
            if rng.random() < (
                0.9 if name in ("temperature", "pulse", "systolic", "diastolic") else 0.5
            ):
                ranges[name] = span
        if "systolic" in ranges:
            ranges["diastolic"] = usual["diastolic"]
        ranges.update(case.vitals)
        places = {"temperature": 1, "glucose": 1}
        for name, (low, high) in ranges.items():
            value = rng.uniform(low, high)
            summary[name] = Decimal(f"{value:.{places.get(name, 0)}f}")
        weight, height = self.body(age, patient, case)
        if child or rng.random() < 0.6:
            summary["weight"] = weight
        if child or rng.random() < 0.2:
            summary["height"] = height
        return summary

    def body(self, age: int, patient: Patient, case: Case) -> tuple[Decimal, Decimal]:
        rng = self.rng
        if age < 6:
            months = (self.today - patient.birth_date).days / 30.4
            weight = 3.3 + 0.6 * months if months < 12 else 9.5 + 0.17 * (months - 12)
            height = 50 + 2.1 * months if months < 12 else 75 + 0.65 * (months - 12)
            if case.key == "malnutrition":
                weight *= 0.75
            weight *= rng.uniform(0.9, 1.1)
            height *= rng.uniform(0.96, 1.04)
        elif patient.sex == Sex.FEMALE:
            weight, height = rng.uniform(40, 58), rng.uniform(145, 158)
        else:
            weight, height = rng.uniform(46, 68), rng.uniform(153, 168)
        return Decimal(f"{weight:.1f}"), Decimal(f"{height:.1f}")

    # --- backdating ---------------------------------------------------------------------------

    def stamp(
        self,
        c: Consultation,
        at: datetime,
        *,
        created: datetime | None = None,
        deadline: datetime | None = None,
    ) -> None:
        """Move what the last service call wrote for ``c`` to ``at``.

        Rows written during this run are the only ones at or after ``self.now``; everything
        planned is earlier, so "at or after now" picks exactly the last step's rows.
        """
        now = self.now
        ConsultationEvent.objects.filter(consultation_id=c.pk, at__gte=now).update(at=at)
        Message.objects.filter(consultation_id=c.pk, created_at__gte=now).update(created_at=at)
        Attachment.objects.filter(consultation_id=c.pk, created_at__gte=now).update(created_at=at)
        url = c.get_absolute_url()
        Notification.objects.filter(url=url, created_at__gte=now).update(created_at=at)
        fields = [
            "submitted_at",
            "assigned_at",
            "first_response_at",
            "escalated_at",
            "answered_at",
            "closed_at",
        ]
        row = Consultation.objects.filter(pk=c.pk).values(*fields).get()
        changes: dict[str, Any] = {
            name: at for name, value in row.items() if value is not None and value >= now
        }
        changes["updated_at"] = at
        if created is not None:
            changes["created_at"] = created
            ConsultationEvent.objects.filter(
                consultation_id=c.pk, kind=ConsultationEventKind.CREATED
            ).update(at=created)
        if deadline is not None:
            changes["deadline_at"] = deadline
            # The hub's notification names the deadline; it was written with the real one.
            if c.deadline_at is not None:
                written = timezone.localtime(c.deadline_at).strftime("%d/%m/%Y %H:%M")
                planned = timezone.localtime(deadline).strftime("%d/%m/%Y %H:%M")
                Notification.objects.filter(url=url, kind="consult.new").update(
                    body=Replace(F("body"), Value(written), Value(planned))
                )
        Consultation.objects.filter(pk=c.pk).update(**changes)

    def danger_signs(
        self, plan: Plan, patient: Patient, specialty: Specialty, summary: dict[str, Any]
    ) -> str:
        """As a worker does when the form's danger-sign check calls for more: most raise the
        urgency (``plan.urgency``); one in five keeps it and writes why. Answers the reason."""
        check = danger_sign_check(
            patient, ConsultationInput(patient=patient, specialty=specialty, summary=summary)
        )
        if not triage.lower_than(plan.urgency, check.urgency):
            return ""
        if plan.n % 5 == 0:
            return self.rng.choice(LOWER_REASONS)
        plan.urgency = check.urgency
        return ""

    # --- one consultation ---------------------------------------------------------------------

    def make(self, plan: Plan) -> Consultation:
        rng = self.rng
        case, station = plan.case, plan.station
        specialty = self.specialties[case.specialty]
        hub = self.hub(station, specialty)
        if hub is None:
            raise ValueError(f"No hub supports {station.facility} in {specialty.code}.")
        patient, date_patient = self.register(plan)
        summary = self.summary(case, patient)
        reason = self.danger_signs(plan, patient, specialty, summary)
        times = plan_times(plan, deadline_minutes(hub.pk, plan.urgency), self.now, rng)
        date_patient(times.created)
        image = case.image if case.image and rng.random() < 0.85 else ""
        image_in_reply = bool(image) and plan.thread and rng.random() < 0.3
        uploads = (
            [Upload(IMAGE_NAMES[image], picture(image, rng))]
            if image and not image_in_reply
            else []
        )
        data = ConsultationInput(
            patient=patient,
            specialty=specialty,
            urgency=plan.urgency,
            summary=summary,
            uploads=uploads,
            urgency_reason=reason,
        )
        send = plan.status != Status.DRAFT and not plan.from_draft
        requester = plan.requester
        c, _created = consultation_submit(
            actor=requester, client_id=stable_uuid("demo-consult", plan.n), data=data, submit=send
        )
        self.stamp(
            c, times.submitted or times.created, created=times.created, deadline=times.deadline
        )
        if plan.status == Status.CANCELLED:
            c = consultation_cancel(consultation=c, actor=requester)
            assert times.closed is not None
            self.stamp(c, times.closed)
            return c
        if plan.status == Status.DRAFT:
            return c

        assert c.hub_id == hub.pk
        specialist = self.pick_specialist(plan, hub, specialty)
        if times.assigned is not None:
            if plan.claim:
                c = consultation_claim(consultation=c, actor=specialist)
            else:
                c = consultation_assign(
                    consultation=c, actor=self.coordinator_of(hub), specialist=specialist
                )
            self.stamp(c, times.assigned)
        if times.escalated is not None:
            # The deadline task would do this when the deadline passed; the deadline is already
            # in the past, so the real escalation runs now.
            consultation_escalate(consultation_id=c.pk)
            self.stamp(c, times.escalated)
        if times.nudge is not None:
            message_post(consultation=c, actor=requester, body=rng.choice(NUDGES))
            self.stamp(c, times.nudge)
        asked = None
        if times.ask is not None:
            asked, _created = message_post(
                consultation=c,
                actor=specialist,
                body=case.ask,
                client_id=stable_uuid("demo-message", f"{plan.n}:ask"),
            )
            self.stamp(c, times.ask)
        if times.reply is not None:
            message_post(
                consultation=c,
                actor=requester,
                body=case.reply,
                parent=asked,
                uploads=[Upload(IMAGE_NAMES[image], picture(image, rng))]
                if image_in_reply
                else None,
                client_id=stable_uuid("demo-message", f"{plan.n}:reply"),
            )
            self.stamp(c, times.reply)
        if times.answered is not None:
            c = advice_record(
                consultation=c,
                actor=specialist,
                advice=case.advice,
                outcome=case.outcome,
                diagnoses=[self.codes[code] for code in case.codes if code in self.codes],
            )
            self.stamp(c, times.answered)
        if times.thanks is not None:
            message_post(consultation=c, actor=requester, body=rng.choice(THANKS))
            self.stamp(c, times.thanks)
        if times.closed is not None:
            c = consultation_close(consultation=c, actor=requester, action_taken=case.action)
            self.stamp(c, times.closed)
        if (
            times.ask is None
            and times.answered is None
            and times.deadline
            and times.deadline > self.now
        ):
            self.schedule_deadline(c.pk, times.deadline)
        return c

    def pick_specialist(self, plan: Plan, hub: Facility, specialty: Specialty) -> User:
        people = self.specialists_of(hub, specialty)
        persona = self.persona.get("specialist")
        if (
            persona is not None
            and persona in people
            and (plan.persona_specialist or self.rng.random() < 0.5)
        ):
            return persona
        if not people:
            raise ValueError(f"{hub} has no specialist in {specialty.code}.")
        return self.rng.choice(people)

    def schedule_deadline(self, consult_id: int, when: datetime) -> None:
        """The submission scheduled the deadline check at the real submission time plus the
        deadline; the demo moved the submission back, so check again when it is really due.
        (The first check finds nothing to do: the escalation looks at the current deadline.)"""
        transaction.on_commit(
            lambda: consultation_deadline_check.using(run_after=when).enqueue(consult_id)
        )

    # --- the plan -----------------------------------------------------------------------------

    def plans(self, home: Station, others: list[Station]) -> list[Plan]:
        rng = self.rng
        worker = self.persona["worker"]
        plans = []
        for n, (key, status, options) in enumerate(WORKER_PLAN):
            case = CASE_BY_KEY[key]
            plans.append(
                Plan(
                    n=n,
                    case=case,
                    station=home,
                    requester=worker,
                    status=status,
                    urgency=options.get("urgency", Urgency.ROUTINE),
                    overdue=options.get("overdue", False),
                    late=options.get("late", False),
                    claim=options.get("claim", True),
                    thread=options.get("thread", False),
                    thanks=options.get("thanks", False),
                    persona_specialist=True,
                )
            )
        weights = [REGION_WEIGHT[s.region] for s in others]
        for n in range(len(plans), len(plans) + OTHER_CONSULTS):
            station = rng.choices(others, weights=weights)[0]
            cases = [c for c in CASES if not c.regions or station.region in c.regions]
            case = rng.choices(cases, weights=[c.weight for c in cases])[0]
            status = rng.choices([s for s, _ in STATUS_MIX], weights=[w for _, w in STATUS_MIX])[0]
            urgency = rng.choices(
                [Urgency.ROUTINE, Urgency.URGENT, Urgency.EMERGENCY], weights=case.urgency
            )[0]
            answered = status in (Status.ANSWERED, Status.CLOSED)
            plans.append(
                Plan(
                    n=n,
                    case=case,
                    station=station,
                    requester=rng.choice(station.workers),
                    status=status,
                    urgency=urgency,
                    overdue=(status == Status.SUBMITTED and rng.random() < 0.35)
                    or (status == Status.ASSIGNED and rng.random() < 0.25),
                    late=answered and rng.random() < 0.12,
                    claim=rng.random() < 0.5,
                    thread=(answered and rng.random() < 0.55)
                    or (status == Status.ASSIGNED and rng.random() < 0.5),
                    thanks=answered and rng.random() < 0.4,
                    from_draft=status == Status.CANCELLED and rng.random() < 0.3,
                )
            )
        return plans


def demo_consults_load(*, progress: Callable[[str], None] | None = None) -> int:
    """Make the demo consultations once; a second call finds them and makes none."""
    say = progress or (lambda _message: None)
    # The worker persona's first demo case marks the load; her other consultations (her own,
    # or generated by ``scale_consults``) do not.
    if Consultation.objects.filter(
        requester__username=MARKER, client_id=stable_uuid("demo-consult", 0)
    ).exists():
        say("demo consultations already loaded")
        return 0
    worker = (
        Membership.objects.active()
        .filter(user__username=MARKER, role=Role.WORKER)
        .select_related("facility__province", "facility__commune")
        .first()
    )
    if worker is None or worker.facility is None:
        raise ValueError("Load the demo network first: the worker persona is missing.")
    with transaction.atomic():
        loader = DemoConsults(say)
        home = loader.station(worker.facility)
        home.workers = [loader.persona[MARKER]]
        others = loader.stations(worker.facility)
        plans = loader.plans(home, others)
        first_notification = Notification.objects.aggregate(last=Max("id"))["last"] or 0
        made: dict[str, int] = defaultdict(int)
        for index, plan in enumerate(plans, start=1):
            c = loader.make(plan)
            made[c.status] += 1
            if index % 50 == 0 or index == len(plans):
                say(f"consultations: {index}/{len(plans)}")
        # The demo's past notifications were delivered at the time (and those older than two
        # days were read), so starting the worker does not mail hundreds of old alerts.
        ours = Notification.objects.filter(id__gt=first_notification)
        ours.update(emailed_at=F("created_at"))
        ours.filter(created_at__lt=loader.now - timedelta(days=2)).update(
            read_at=F("created_at") + timedelta(hours=2)
        )
        say(", ".join(f"{status}: {made[status]}" for status in Status.values))
    return len(plans)


# --- on-call roster --------------------------------------------------------------------------

# A Vietnamese hospital's on-call rhythm (lịch trực): 24-hour shifts handed over at 07:00.
ROSTER_HANDOVER = time(7)
ROSTER_DAYS = 7


def demo_roster_load(*, progress: Callable[[str], None] | None = None) -> int:
    """Each hub's on-call roster for the week ahead, so that a coordinator finds one to keep:
    for every common specialty, a 24-hour shift from 07:00 (from yesterday's, which may still
    run, to a week ahead), taken in turn by the hub's specialists of that specialty. The
    coordinator makes them through ``oncall_shift_add``, as on the page (audited).

    Deterministic: who is on call on a day follows from the date alone (its ordinal, modulo
    the specialists of the specialty ordered by username). A hub that already has a roster is
    left as it is, so a second run makes nothing."""
    say = progress or (lambda _message: None)
    today = timezone.localdate()
    specialties = list(Specialty.objects.filter(is_common=True).order_by("sort_order", "code"))
    hubs = Facility.objects.active().filter(is_hub=True).order_by("code")
    made = 0
    with transaction.atomic():
        for hub in hubs:
            if OnCallShift.objects.filter(hub=hub).exists():
                continue
            staff = (
                Membership.objects.active()
                .filter(facility=hub, role__in=[Role.SPECIALIST, Role.COORDINATOR])
                .select_related("user")
                .prefetch_related("specialties")
                .order_by("user__username")
            )
            coordinator = next((m.user for m in staff if m.role == Role.COORDINATOR), None)
            if coordinator is None:
                continue
            # The persona keeps her own hub's roster, so its audit trail is hers.
            coordinator = next(
                (m.user for m in staff if m.user.username == "coordinator"), coordinator
            )
            on_call: dict[int, list[User]] = defaultdict(list)
            for m in staff:
                if m.role == Role.SPECIALIST:
                    for s in m.specialties.all():
                        on_call[s.pk].append(m.user)
            for offset in range(-1, ROSTER_DAYS):
                day = today + timedelta(days=offset)
                starts_at = timezone.make_aware(datetime.combine(day, ROSTER_HANDOVER))
                for specialty in specialties:
                    people = on_call.get(specialty.pk)
                    if not people:
                        continue
                    oncall_shift_add(
                        actor=coordinator,
                        hub=hub,
                        user=people[day.toordinal() % len(people)],
                        specialty=specialty,
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=24),
                    )
                    made += 1
    say(f"on-call shifts: {made}")
    return made
