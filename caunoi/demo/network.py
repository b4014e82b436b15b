"""The demo network: the provinces of the MoH/UNDP/KOFIH telemedicine project after the July
2025 merger, plus Thành phố Huế and Nghệ An, with one station per real commune, regional
health centres, provincial hospitals, hubs, support links and staff.

Everything is derived from the official commune list and fixed seeds, so every run builds the
same network with the same ids. Facility codes here are demo codes, not real BHXH codes.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from vietnam_provinces.legacy import District, DistrictCode

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.services import audit_record
from caunoi.core.text import fold
from caunoi.demo import content
from caunoi.network.models import (
    Facility,
    FacilityKind,
    Membership,
    Profession,
    Role,
    Specialty,
    SupportLink,
    TechnicalLevel,
)
from caunoi.places.models import Commune, DivisionType, Province

DEMO_PASSWORD = "caunoi-demo"  # noqa: S105 -- the documented password of the demo accounts
NAMESPACE = uuid.UUID("5f0c4b8e-2f5e-4d55-9a4e-2d1b7c0c4e11")

TUYEN_QUANG, THAI_NGUYEN, LANG_SON, QUANG_NGAI = 8, 19, 20, 51
HUNG_YEN, BAC_NINH, CAN_THO, VINH_LONG, TAY_NINH = 33, 24, 92, 86, 80
HUE, NGHE_AN, HA_NOI, HO_CHI_MINH = 46, 40, 1, 79
DEMO_PROVINCES = [
    TUYEN_QUANG,
    THAI_NGUYEN,
    LANG_SON,
    QUANG_NGAI,
    HUNG_YEN,
    BAC_NINH,
    CAN_THO,
    VINH_LONG,
    TAY_NINH,
    HUE,
    NGHE_AN,
]
# Issuers of practising licences, as written in the licence number (000123/TQ-GPHN).
ISSUER = {
    TUYEN_QUANG: "TQ",
    THAI_NGUYEN: "TN",
    LANG_SON: "LS",
    QUANG_NGAI: "QNG",
    HUNG_YEN: "HY",
    BAC_NINH: "BN",
    CAN_THO: "CT",
    VINH_LONG: "VL",
    TAY_NINH: "TNI",
    HUE: "HUE",
    NGHE_AN: "NA",
    HA_NOI: "HN",
    HO_CHI_MINH: "HCM",
}


@dataclass(frozen=True)
class HubSpec:
    key: str
    code: str
    name: str
    short_name: str
    kind: str
    province: int
    commune: int
    address: str
    latitude: str
    longitude: str


HUBS = [HubSpec(**{**row, "kind": FacilityKind(row["kind"])}) for row in content.load("hubs")]
PAEDIATRICS = "paediatrics"
# Which hubs answer each demo province: (hub, priority, specialties or None for all common).
# Tuyên Quang is paired with Huế for adult specialties as in the programme, with Bạch Mai as
# the second hub; northern provinces send children to Nhi Trung ương.
ADULT = "adult"
HUB_PLAN: dict[int, list[tuple[str, int, str | None]]] = {
    TUYEN_QUANG: [("hue", 1, ADULT), ("bach_mai", 2, ADULT), ("nhi_tw", 1, PAEDIATRICS)],
    THAI_NGUYEN: [("bach_mai", 1, ADULT), ("nhi_tw", 1, PAEDIATRICS)],
    LANG_SON: [("bach_mai", 1, ADULT), ("nhi_tw", 1, PAEDIATRICS)],
    HUNG_YEN: [("bach_mai", 1, ADULT), ("nhi_tw", 1, PAEDIATRICS)],
    BAC_NINH: [("bach_mai", 1, ADULT), ("nhi_tw", 1, PAEDIATRICS)],
    HUE: [("hue", 1, None)],
    QUANG_NGAI: [("hue", 1, None)],
    NGHE_AN: [("nghe_an", 1, None), ("hue", 2, None)],
    CAN_THO: [("cho_ray", 1, None)],
    VINH_LONG: [("cho_ray", 1, None)],
    TAY_NINH: [("cho_ray", 1, None)],
}

_NAMES = content.load("names")
FAMILY: list[str] = list(_NAMES["family"])
# Family names common among ethnic minorities of the northern mountains (Tày, Nùng, H'Mông, Dao).
FAMILY_NORTH: list[str] = list(_NAMES["family_north"])
MIDDLE_F: list[str] = list(_NAMES["middle_f"])
MIDDLE_M: list[str] = list(_NAMES["middle_m"])
GIVEN_F: list[str] = list(_NAMES["given_f"])
GIVEN_M: list[str] = list(_NAMES["given_m"])

# The documented accounts: (username, full name, role, where, profession, title, specialty codes).
PERSONAS: list[tuple[str, str, Role, str, Profession, str, list[str]]] = [
    (
        row["username"],
        row["full_name"],
        Role(row["role"]),
        row["where"],
        Profession(row["profession"]),
        row["title"],
        list(row["specialties"]),
    )
    for row in content.load("personas")
]


@dataclass
class DemoResult:
    facilities: int = 0
    links: int = 0
    users: int = 0
    skipped: bool = False


def stable_uuid(kind: str, key: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{key}")


def station_name(commune: Commune) -> str:
    # "Xã Lũng Cú" -> "Trạm Y tế xã Lũng Cú": the division word is lower-case inside a name.
    first, _, rest = commune.name.partition(" ")
    if commune.division_type == DivisionType.SPECIAL_ZONE:
        first, _, rest = commune.name.partition(" ")
        second, _, rest = rest.partition(" ")
        return f"Trạm Y tế {first.lower()} {second.lower()} {rest}"
    return f"Trạm Y tế {first.lower()} {rest}"


def _district_short(name: str) -> str:
    for prefix in ("Thành phố ", "Thị xã ", "Huyện ", "Quận "):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


class NameMaker:
    """Deterministic, realistic Vietnamese names."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)

    def person(self, *, north: bool = False, female: bool | None = None) -> str:
        rng = self.rng
        female = rng.random() < 0.6 if female is None else female
        families = FAMILY_NORTH + FAMILY if north and rng.random() < 0.6 else FAMILY
        family = rng.choice(families)
        middle = rng.choice(MIDDLE_F if female else MIDDLE_M)
        given = rng.choice(GIVEN_F if female else GIVEN_M)
        return f"{family} {middle} {given}"


def _username(full_name: str, code: str, index: int) -> str:
    parts = fold(full_name).replace("-", "").split()
    initials = "".join(p[0] for p in parts[:-1])
    return f"{parts[-1]}.{initials}.{code.lower()}{index}"


class DemoBuilder:
    def __init__(self, progress: Callable[[str], None]) -> None:
        self.say = progress
        self.password_hash = make_password(DEMO_PASSWORD)
        self.licence_seq = 0
        self.facilities: list[Facility] = []
        self.users: list[User] = []
        self.memberships: list[tuple[Membership, list[str]]] = []
        self.provinces = {p.code: p for p in Province.objects.all()}
        self.communes_by_code: dict[int, Commune] = {}

    # --- facilities ------------------------------------------------------------------------
    def facility(self, **fields: object) -> Facility:
        code = str(fields["code"])
        f = Facility(public_id=stable_uuid("facility", code), **fields)
        f.search_name = fold(f"{f.name} {f.short_name} {f.code}")
        self.facilities.append(f)
        return f

    def build_facilities(self) -> dict[str, Facility]:
        named: dict[str, Facility] = {}
        communes = list(
            Commune.objects.filter(province__code__in=DEMO_PROVINCES).select_related("province")
        )
        known = {c.code for c in communes}
        for hub in HUBS:
            if hub.commune not in known:  # Hà Nội and HCMC hubs lie outside the demo provinces
                communes.append(Commune.objects.select_related("province").get(code=hub.commune))
        self.communes_by_code = {c.code: c for c in communes}
        for spec in HUBS:
            commune = self.communes_by_code[spec.commune]
            named[f"hub:{spec.key}"] = self.facility(
                code=spec.code,
                name=spec.name,
                short_name=spec.short_name,
                kind=spec.kind,
                level=TechnicalLevel.SPECIALISED,
                province=commune.province,
                commune=commune,
                address=spec.address,
                latitude=Decimal(spec.latitude),
                longitude=Decimal(spec.longitude),
                is_hub=True,
            )
        by_province: dict[int, list[Commune]] = defaultdict(list)
        for c in communes:
            if c.province.code in DEMO_PROVINCES:
                by_province[c.province.code].append(c)
        for code in DEMO_PROVINCES:
            province = self.provinces[code]
            members = sorted(by_province[code], key=lambda c: c.code)
            capital = next((c for c in members if c.division_type == DivisionType.WARD), members[0])
            place = "thành phố" if province.division_type == DivisionType.CENTRAL_CITY else "tỉnh"
            named[f"department:{code}"] = self.facility(
                code=f"SYT{code:02d}",
                name=f"Sở Y tế {place} {province.short_name}",
                short_name=f"SYT {province.short_name}",
                kind=FacilityKind.HEALTH_DEPARTMENT,
                level="",
                province=province,
                commune=capital,
                address=f"{capital.name}, {province.name}",
            )
            if code != NGHE_AN:  # Nghệ An's provincial hospital is the hub itself.
                named[f"provincial:{code}"] = self.facility(
                    code=f"{code:02d}001",
                    name=f"Bệnh viện Đa khoa {place} {province.short_name}",
                    short_name=f"BVĐK {province.short_name}",
                    kind=FacilityKind.PROVINCIAL_HOSPITAL,
                    level=TechnicalLevel.SPECIALISED,
                    province=province,
                    commune=capital,
                    address=f"{capital.name}, {province.name}",
                )
            else:
                named[f"provincial:{code}"] = named["hub:nghe_an"]
            # One regional health centre for each former district (they replaced the district
            # health centres in 2025), placed in the first commune that took its territory.
            districts: dict[int, list[Commune]] = defaultdict(list)
            for c in members:
                if c.legacy_district_codes:
                    districts[c.legacy_district_codes[0]].append(c)
            for index, district_code in enumerate(sorted(districts), start=1):
                seat = districts[district_code][0]
                short = _district_short(District.from_code(DistrictCode(district_code)).name)
                named[f"regional:{code}:{district_code}"] = self.facility(
                    code=f"{code:02d}{200 + index:03d}",
                    name=f"Trung tâm Y tế khu vực {short}",
                    short_name=f"TTYT KV {short}",
                    kind=FacilityKind.REGIONAL_CENTRE,
                    level=TechnicalLevel.BASIC,
                    province=province,
                    commune=seat,
                    address=f"{seat.name}, {province.name}",
                )
            for index, c in enumerate(members, start=1):
                named[f"station:{c.code}"] = self.facility(
                    code=f"{code:02d}{300 + index:03d}",
                    name=station_name(c),
                    short_name=f"TYT {c.name}",
                    kind=FacilityKind.STATION,
                    level=TechnicalLevel.INITIAL,
                    province=province,
                    commune=c,
                    address=f"{c.name}, {province.name}",
                )
        Facility.objects.bulk_create(self.facilities, batch_size=1000)
        self.say(f"facilities: {len(self.facilities)}")
        return named

    # --- support links ---------------------------------------------------------------------
    def build_links(self, named: dict[str, Facility]) -> int:
        specialties = {s.code: s for s in Specialty.objects.filter(is_common=True)}
        adult = [s for code, s in specialties.items() if code != PAEDIATRICS]
        links: list[SupportLink] = []
        wanted: list[list[Specialty]] = []
        for key, spoke in named.items():
            if key.startswith(("hub:", "department:")):
                continue
            plan = HUB_PLAN[spoke.province.code]
            for hub_key, priority, which in plan:
                if which is None:
                    chosen = list(specialties.values())
                elif which == ADULT:
                    chosen = adult
                else:
                    chosen = [specialties[which]]
                if named[f"hub:{hub_key}"] is spoke:
                    continue
                links.append(
                    SupportLink(
                        public_id=stable_uuid("link", f"{hub_key}:{spoke.code}"),
                        hub=named[f"hub:{hub_key}"],
                        spoke=spoke,
                        priority=priority,
                        valid_from="2025-07-01",
                    )
                )
                wanted.append(chosen)
        SupportLink.objects.bulk_create(links, batch_size=1000)
        through = SupportLink.specialties.through
        rows = [
            through(supportlink_id=link.id, specialty_id=s.id)
            for link, chosen in zip(links, wanted, strict=True)
            for s in chosen
        ]
        through.objects.bulk_create(rows, batch_size=5000)
        self.say(f"support links: {len(links)} ({len(rows)} specialty rows)")
        return len(links)

    # --- people ----------------------------------------------------------------------------
    def licence(self, issuer: str) -> str:
        self.licence_seq += 1
        return f"{self.licence_seq:06d}/{issuer}-GPHN"

    def person(
        self,
        *,
        username: str,
        full_name: str,
        role: str,
        facility: Facility | None,
        profession: str,
        title: str = "",
        specialties: list[str] | None = None,
        organisation: str = "",
        is_staff: bool = False,
    ) -> None:
        user = User(
            public_id=stable_uuid("user", username),
            username=username,
            full_name=full_name,
            search_name=fold(f"{full_name} {username}"),
            email=f"{username}@demo.caunoi.vn",
            password=self.password_hash,
            is_staff=is_staff,
        )
        clinical = profession in {
            Profession.DOCTOR,
            Profession.ASSISTANT_DOCTOR,
            Profession.NURSE,
            Profession.MIDWIFE,
            Profession.TECHNICIAN,
        }
        issuer = "BYT"
        if facility is not None and facility.kind not in (
            FacilityKind.CENTRAL_HOSPITAL,
            FacilityKind.SPECIALTY_HOSPITAL,
        ):
            issuer = ISSUER.get(facility.province.code, "BYT")
        membership = Membership(
            public_id=stable_uuid("membership", username),
            user=user,
            facility=facility,
            organisation=organisation,
            role=role,
            profession=profession,
            title=title,
            licence_number=self.licence(issuer) if clinical else "",
        )
        self.users.append(user)
        self.memberships.append((membership, specialties or []))

    def build_people(self, named: dict[str, Facility]) -> int:
        for username, full_name, role, where, profession, title, specs in PERSONAS:
            kind, _, key = where.partition(":")
            facility = None if kind == "org" else named[where]
            self.person(
                username=username,
                full_name=full_name,
                role=role,
                facility=facility,
                profession=profession,
                title=title,
                specialties=specs,
                organisation=key if kind == "org" else "",
                is_staff=role == Role.ADMIN,
            )
        specialty_codes = list(
            Specialty.objects.filter(is_common=True).values_list("code", flat=True)
        )
        for key, facility in named.items():
            if (
                facility.kind == FacilityKind.PROVINCIAL_HOSPITAL
                and facility.is_hub
                and key.startswith("provincial:")
            ):
                continue  # Staffed once, as a hub.
            names = NameMaker(f"staff:{facility.code}")
            north = facility.province.code in (TUYEN_QUANG, THAI_NGUYEN, LANG_SON)
            staff: list[tuple[str, str, str, list[str]]] = []
            if facility.kind == FacilityKind.STATION:
                staff = [(Role.WORKER, Profession.DOCTOR, "Trạm trưởng", [])]
                staff += [(Role.WORKER, Profession.ASSISTANT_DOCTOR, "", [])]
                extra = names.rng.choice([Profession.NURSE, Profession.MIDWIFE])
                staff += [(Role.WORKER, extra, "", [])]
            elif facility.kind == FacilityKind.REGIONAL_CENTRE:
                staff = [(Role.CLINICIAN, Profession.DOCTOR, "", ["internal-medicine"])] * 3
                staff += [(Role.CLINICIAN, Profession.NURSE, "", [])] * 2
            elif facility.kind == FacilityKind.PROVINCIAL_HOSPITAL and not facility.is_hub:
                staff = [
                    (Role.CLINICIAN, Profession.DOCTOR, "", [code]) for code in specialty_codes
                ]
                staff += [(Role.CLINICIAN, Profession.NURSE, "", [])] * 2
            elif facility.is_hub:
                for code in specialty_codes:
                    staff += [(Role.SPECIALIST, Profession.DOCTOR, "", [code])] * 2
                staff += [(Role.COORDINATOR, Profession.NURSE, "", [])]
            elif facility.kind == FacilityKind.HEALTH_DEPARTMENT:
                staff = [(Role.OFFICER, Profession.PUBLIC_HEALTH, "", [])] * 2
            for index, (staff_role, staff_profession, staff_title, staff_specs) in enumerate(
                staff, start=1
            ):
                full_name = names.person(north=north)
                self.person(
                    username=_username(full_name, facility.code, index),
                    full_name=full_name,
                    role=staff_role,
                    facility=facility,
                    profession=staff_profession,
                    title=staff_title,
                    specialties=staff_specs,
                )
        User.objects.bulk_create(self.users, batch_size=2000)
        memberships = [m for m, _ in self.memberships]
        for m in memberships:
            m.user_id = m.user.id
        Membership.objects.bulk_create(memberships, batch_size=2000)
        specialties = dict(Specialty.objects.values_list("code", "id"))
        through = Membership.specialties.through
        through.objects.bulk_create(
            [
                through(membership_id=m.id, specialty_id=specialties[code])
                for m, codes in self.memberships
                for code in codes
            ],
            batch_size=5000,
        )
        self.say(f"people: {len(self.users)}")
        return len(self.users)


def demo_network_load(*, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Build the demo network once; a second call finds it and changes nothing."""
    say = progress or (lambda _message: None)
    if User.objects.filter(username="worker").exists():
        say("demo network already loaded")
        return DemoResult(skipped=True)
    with transaction.atomic():
        builder = DemoBuilder(say)
        named = builder.build_facilities()
        links = builder.build_links(named)
        users = builder.build_people(named)
        result = DemoResult(facilities=len(builder.facilities), links=links, users=users)
        audit_record(
            actor=None,
            action=AuditAction.CREATE,
            object_type="network.demo",
            object_label="demo network",
            purpose="demo data",
            detail={"facilities": result.facilities, "links": links, "users": users},
        )
    return result
