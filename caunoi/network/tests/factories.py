"""Facilities, support links and memberships for tests, and the fixture network.

The fixture network is one province, Cao Bằng: the provincial hospital, the health department,
a regional health centre and three commune stations, answered by three hubs as the demo's
northern provinces are (Bệnh viện Trung ương Huế first and Bệnh viện Bạch Mai second for adults,
Bệnh viện Nhi Trung ương for children), with the seven personas, one specialist of each common
specialty at each hub, and a few colleagues. The root conftest builds it once per test
database; tests read it through ``fixture_network()`` and the persona fixtures. It is not the demo network: a test that needs demo facts (1,073 stations, the eleven
provinces) uses the ``demo_network`` fixture.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import factory
from factory.django import DjangoModelFactory

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
from caunoi.places.models import Commune, Province

CAO_BANG = 4
PROVINCE_NAME = "Cao Bằng"
CAPITAL = 1273  # Phường Thục Phán
STATION_COMMUNES = [1290, 1294, 1297]  # Xã Bảo Lâm, Xã Lý Bôn, Xã Nam Quang

HUB_NAME = "Bệnh viện Trung ương Huế"  # the specialist's and coordinator's hub
SECOND_HUB_NAME = "Bệnh viện Bạch Mai"
CHILDREN_HUB_NAME = "Bệnh viện Nhi Trung ương"
HUE_WARD, KIM_LIEN_WARD, LANG_WARD = 19789, 229, 199
PROVINCIAL_NAME = "Bệnh viện Đa khoa tỉnh Cao Bằng"
DEPARTMENT_NAME = "Sở Y tế tỉnh Cao Bằng"
REGIONAL_NAME = "Trung tâm Y tế khu vực Hòa An"
STATION_NAMES = ["Trạm Y tế xã Bảo Lâm", "Trạm Y tế xã Lý Bôn", "Trạm Y tế xã Nam Quang"]
STATION_NAME = STATION_NAMES[0]  # the `worker` persona's station

_licences = itertools.count(1)
# The hubs' staff besides the personas, in order of creation.
STAFF_NAMES = [
    "Nguyễn Văn An",
    "Lê Thị Bình",
    "Phạm Đức Châu",
    "Hoàng Thu Dũng",
    "Vũ Minh Giang",
    "Đặng Ngọc Hà",
    "Bùi Quang Hải",
    "Đỗ Thanh Hạnh",
    "Hồ Hữu Hiếu",
    "Ngô Kim Hòa",
    "Dương Xuân Hùng",
    "Nguyễn Văn Khoa",
    "Lê Thị Lan",
    "Phạm Đức Linh",
    "Hoàng Thu Long",
    "Vũ Minh Mai",
    "Đặng Ngọc Nam",
    "Bùi Quang Nga",
    "Đỗ Thanh Phong",
    "Hồ Hữu Phúc",
    "Ngô Kim Quân",
    "Dương Xuân Sơn",
    "Nguyễn Văn Tâm",
    "Lê Thị Thảo",
]


class FacilityFactory(DjangoModelFactory[Facility]):
    """A commune station in Cao Bằng unless told otherwise."""

    class Meta:
        model = Facility

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.LazyAttribute(lambda f: f"Trạm Y tế thử {f.code}")
    short_name = factory.LazyAttribute(lambda f: f.name)
    kind = FacilityKind.STATION
    level = TechnicalLevel.INITIAL
    commune = factory.LazyFunction(lambda: Commune.objects.get(code=CAPITAL))
    province = factory.SelfAttribute("commune.province")
    address = factory.LazyAttribute(lambda f: f"{f.commune.name}, {f.province.name}")


class HubFactory(FacilityFactory):
    kind = FacilityKind.CENTRAL_HOSPITAL
    level = TechnicalLevel.SPECIALISED
    is_hub = True


class SupportLinkFactory(DjangoModelFactory[SupportLink]):
    """A hub supporting a spoke; for every common specialty unless ``specialties`` (codes)."""

    class Meta:
        model = SupportLink
        skip_postgeneration_save = True

    hub = factory.SubFactory(HubFactory)
    spoke = factory.SubFactory(FacilityFactory)
    priority = 1
    valid_from = "2025-07-01"

    @factory.post_generation
    def specialties(self, create: bool, codes: Sequence[str] | None, **_: Any) -> None:
        if not create:
            return
        found = Specialty.objects.filter(code__in=codes) if codes else None
        self.specialties.set(
            found if found is not None else Specialty.objects.filter(is_common=True)
        )


class MembershipFactory(DjangoModelFactory[Membership]):
    """A user's role at a facility (or organisation); ``specialties`` are codes."""

    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory("caunoi.accounts.tests.factories.UserFactory")
    facility = factory.SubFactory(FacilityFactory)
    role = Role.WORKER
    profession = Profession.ASSISTANT_DOCTOR
    licence_number = factory.LazyAttribute(
        lambda m: (
            f"{next(_licences):06d}/CB-GPHN"
            if m.profession in {Profession.DOCTOR, Profession.ASSISTANT_DOCTOR, Profession.NURSE}
            else ""
        )
    )

    @factory.post_generation
    def specialties(self, create: bool, codes: Sequence[str] | None, **_: Any) -> None:
        if create and codes:
            self.specialties.set(Specialty.objects.filter(code__in=codes))


@dataclass(frozen=True)
class FixtureNetwork:
    province: Province
    hub: Facility
    second_hub: Facility
    children_hub: Facility
    provincial: Facility
    department: Facility
    regional: Facility
    stations: list[Facility]

    @property
    def station(self) -> Facility:
        """The `worker` persona's station."""
        return self.stations[0]


def fixture_network() -> FixtureNetwork:
    """The fixture network as it is in the database (built by ``fixture_network_load``)."""
    names = [HUB_NAME, SECOND_HUB_NAME, CHILDREN_HUB_NAME, PROVINCIAL_NAME, DEPARTMENT_NAME]
    names += [REGIONAL_NAME]
    facilities = {f.name: f for f in Facility.objects.filter(name__in=names + STATION_NAMES)}
    return FixtureNetwork(
        province=Province.objects.get(code=CAO_BANG),
        hub=facilities[HUB_NAME],
        second_hub=facilities[SECOND_HUB_NAME],
        children_hub=facilities[CHILDREN_HUB_NAME],
        provincial=facilities[PROVINCIAL_NAME],
        department=facilities[DEPARTMENT_NAME],
        regional=facilities[REGIONAL_NAME],
        stations=[facilities[name] for name in STATION_NAMES],
    )


def fixture_network_load() -> FixtureNetwork:
    """Build the fixture network and its people (places and codes must be loaded)."""
    from caunoi.accounts.tests import factories as people

    communes = {c.code: c for c in Commune.objects.filter(province__code=CAO_BANG)}
    capital = communes[CAPITAL]
    hub = HubFactory(
        code="46901",
        name=HUB_NAME,
        short_name="BV TW Huế",
        commune=Commune.objects.get(code=HUE_WARD),
        address="16 Lê Lợi, phường Thuận Hóa, thành phố Huế",
        latitude="16.46290",
        longitude="107.58810",
    )
    second_hub = HubFactory(
        code="01901",
        name=SECOND_HUB_NAME,
        short_name="BV Bạch Mai",
        commune=Commune.objects.get(code=KIM_LIEN_WARD),
        address="78 Giải Phóng, phường Kim Liên, Hà Nội",
    )
    children_hub = HubFactory(
        code="01902",
        name=CHILDREN_HUB_NAME,
        short_name="BV Nhi TW",
        kind=FacilityKind.SPECIALTY_HOSPITAL,
        commune=Commune.objects.get(code=LANG_WARD),
        address="18/879 La Thành, phường Láng, Hà Nội",
    )
    provincial = FacilityFactory(
        code="04001",
        name=PROVINCIAL_NAME,
        short_name="BVĐK Cao Bằng",
        kind=FacilityKind.PROVINCIAL_HOSPITAL,
        level=TechnicalLevel.SPECIALISED,
        commune=capital,
    )
    department = FacilityFactory(
        code="SYT04",
        name=DEPARTMENT_NAME,
        short_name="SYT Cao Bằng",
        kind=FacilityKind.HEALTH_DEPARTMENT,
        level="",
        commune=capital,
    )
    regional = FacilityFactory(
        code="04201",
        name=REGIONAL_NAME,
        short_name="TTYT KV Hòa An",
        kind=FacilityKind.REGIONAL_CENTRE,
        level=TechnicalLevel.BASIC,
        commune=communes[STATION_COMMUNES[0]],
    )
    stations = [
        FacilityFactory(
            code=f"04{301 + index:03d}",
            name=name,
            short_name=f"TYT {communes[code].name}",
            commune=communes[code],
        )
        for index, (code, name) in enumerate(zip(STATION_COMMUNES, STATION_NAMES, strict=True))
    ]
    common = list(
        Specialty.objects.filter(is_common=True)
        .order_by("sort_order")
        .values_list("code", flat=True)
    )
    adult = [code for code in common if code != "paediatrics"]
    for spoke in [provincial, regional, *stations]:
        SupportLinkFactory(hub=hub, spoke=spoke, specialties=adult)
        SupportLinkFactory(hub=second_hub, spoke=spoke, priority=2, specialties=adult)
        SupportLinkFactory(hub=children_hub, spoke=spoke, specialties=["paediatrics"])

    station = stations[0]
    # The seven personas, named and titled as in the demo network.
    people.WorkerFactory(
        username="worker", full_name="Sùng Thị Mai", facility=station, title="Y sĩ đa khoa"
    )
    people.SpecialistFactory(
        username="specialist", full_name="Trần Văn Phúc", facility=hub, title="BS CKII Nội khoa"
    )
    people.CoordinatorFactory(
        username="coordinator",
        full_name="Lê Thị Hồng Nhung",
        facility=hub,
        title="Điều phối Trung tâm Y tế từ xa",
    )
    people.ClinicianFactory(
        username="receiver",
        full_name="Phạm Quốc Khánh",
        facility=provincial,
        title="BS CKI Nội tổng hợp",
    )
    people.OfficerFactory(
        username="officer",
        full_name="Hoàng Minh Tuấn",
        facility=department,
        title="Chuyên viên giám sát và đánh giá",
    )
    people.DonorFactory(username="donor", full_name="Kim Ji-won", title="Programme officer")
    people.AdminFactory(
        username="admin",
        full_name="Đỗ Văn Hải",
        organisation=DEPARTMENT_NAME,
        title="Quản trị mạng lưới",
    )
    # Colleagues: another worker at the persona's station and one at the next station, a second
    # clinician at the provincial hospital; at each hub one specialist of each specialty it
    # answers (two internists at the adult hubs) and a coordinator.
    people.WorkerFactory(
        username="worker.colleague",
        full_name="Nông Văn Bình",
        facility=station,
        title="Trạm trưởng",
    )
    people.WorkerFactory(username="worker.other", full_name="Lương Thị Hoa", facility=stations[1])
    people.ClinicianFactory(
        username="receiver.colleague", full_name="Mã Văn Thắng", facility=provincial
    )
    names = iter(STAFF_NAMES)
    staff = [(hub, "hue", [*adult, "internal-medicine"])]
    staff += [(second_hub, "bachmai", [*adult, "internal-medicine"])]
    staff += [(children_hub, "nhitw", ["paediatrics"])]
    for facility, key, codes in staff:
        for index, code in enumerate(codes, start=1):
            people.SpecialistFactory(
                username=f"{code}.{key}{index}",
                full_name=next(names),
                facility=facility,
                specialties=(code,),
            )
        people.CoordinatorFactory(
            username=f"coordinator.{key}", full_name=next(names), facility=facility
        )
    return fixture_network()
