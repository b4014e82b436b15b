"""The Django admin at /admin/: only network administrators manage the registry, invalid rows
are refused, and every change lands in the audit trail."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.network.models import Facility, Membership, Specialty, SupportLink

# Demo facts: the registry of the demo network (or its generators).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]

LUNG_CU = "Trạm Y tế xã Lũng Cú"
HUE = "Bệnh viện Trung ương Huế"

CHANGELISTS = {
    "/admin/network/facility/": "Bệnh viện Bạch Mai",
    "/admin/network/supportlink/": "Bệnh viện Trung ương Huế",
    "/admin/network/membership/?q=worker": "Sùng Thị Mai",
    "/admin/network/specialty/": "Nội khoa",
}


def vi(message: str) -> str:
    with translation.override("vi"):
        return gettext(message)


class FormValues(HTMLParser):
    """The values a browser would submit from the first form with ``id``."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(
                a.get("value", "on" if kind == "checkbox" else "")
            )
        elif tag == "select" and name:
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = [""]

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data[self.textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_values(page: str, form_id: str) -> dict[str, list[str]]:
    parser = FormValues(form_id)
    parser.feed(page)
    assert parser.data, f"no form #{form_id}"
    return {k: v for k, v in parser.data.items() if v}


def changelist_names(page: str) -> list[str]:
    return [
        html.unescape(n)
        for n in re.findall(r'<th class="field-name"><a href="[^"]+">([^<]+)', page)
    ]


# --- who may use the admin ---------------------------------------------------------------------


@pytest.mark.parametrize(("url", "row"), list(CHANGELISTS.items()))
def test_network_admin_opens_the_registry_changelists(login, network_admin, url, row):
    response = login(network_admin).get(url)

    assert response.status_code == 200
    assert row in response.content.decode()


@pytest.mark.parametrize(
    "persona", ["worker", "specialist", "coordinator", "receiver", "officer", "donor"]
)
def test_other_personas_are_sent_to_the_admin_login(login, persona):
    user = User.objects.get(username=persona)

    response = login(user).get("/admin/network/facility/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    "persona", ["worker", "specialist", "coordinator", "receiver", "officer", "donor"]
)
@pytest.mark.parametrize("url", [*CHANGELISTS, "/admin/network/facility/add/"])
def test_staff_flag_alone_gives_no_access_to_the_registry(login, persona, url):
    user = User.objects.get(username=persona)
    user.is_staff = True
    user.save(update_fields=["is_staff"])

    response = login(user).get(url)

    assert response.status_code == 403
    # The refusal page's header names the signed-in person; its content names no row.
    content = response.content.decode().split('<main id="main">')[1]
    assert CHANGELISTS.get(url, "Bệnh viện Bạch Mai") not in content


def test_staff_outsider_sees_no_registry_module_on_the_admin_index(login, outsider):
    outsider.is_staff = True
    outsider.save(update_fields=["is_staff"])

    page = login(outsider).get("/admin/").content.decode()

    assert "/admin/network/facility/" not in page
    assert "/admin/network/membership/" not in page


def test_staff_worker_cannot_change_a_facility_by_posting(login, worker):
    worker.is_staff = True
    worker.save(update_fields=["is_staff"])
    lung_cu = Facility.objects.get(name=LUNG_CU)
    client = login(worker)
    events = AuditEvent.objects.count()

    response = client.post(
        f"/admin/network/facility/{lung_cu.pk}/change/", {"name": "Hacked", "code": "HACK1"}
    )

    assert response.status_code == 403
    lung_cu.refresh_from_db()
    assert lung_cu.name == LUNG_CU
    assert AuditEvent.objects.count() == events


# --- validation --------------------------------------------------------------------------------


def facility_add_data(**overrides: str) -> dict[str, str]:
    lung_cu = Facility.objects.select_related("province", "commune").get(name=LUNG_CU)
    data = {
        "name": "Phòng khám Đa khoa Lũng Cú",
        "short_name": "",
        "code": "08999",
        "kind": "clinic",
        "level": "initial",
        "status": "active",
        "province": str(lung_cu.province_id),
        "commune": str(lung_cu.commune_id),
        "address": "",
        "phone": "",
        "latitude": "",
        "longitude": "",
        "hub_links-TOTAL_FORMS": "0",
        "hub_links-INITIAL_FORMS": "0",
        "hub_links-MIN_NUM_FORMS": "0",
        "hub_links-MAX_NUM_FORMS": "0",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_facility_with_an_audit_row(login, network_admin):
    response = login(network_admin).post("/admin/network/facility/add/", facility_add_data())

    assert response.status_code == 302
    created = Facility.objects.get(code="08999")
    assert created.search_name == "phong kham da khoa lung cu 08999"
    event = AuditEvent.objects.get(object_type="network.facility", object_id=created.public_id)
    assert event.action == "create"
    assert event.actor == network_admin


def test_duplicate_facility_code_is_refused_and_creates_nothing(login, network_admin):
    before = Facility.objects.count()
    client = login(network_admin)
    events = AuditEvent.objects.count()

    response = client.post("/admin/network/facility/add/", facility_add_data(code="08305"))

    assert response.status_code == 200
    assert vi("Another facility already has this code.") in response.content.decode()
    assert Facility.objects.count() == before
    assert Facility.objects.filter(code="08305").get().name == LUNG_CU
    assert AuditEvent.objects.count() == events


def test_health_department_with_a_level_is_refused_by_the_admin(login, network_admin):
    response = login(network_admin).post(
        "/admin/network/facility/add/", facility_add_data(kind="health_department")
    )

    assert response.status_code == 200
    assert vi("A health department has no technical level.") in response.content.decode()
    assert not Facility.objects.filter(code="08999").exists()


def test_support_link_from_a_hub_to_itself_is_refused_by_the_form(login, network_admin):
    hue = Facility.objects.get(name=HUE)
    internal = Specialty.objects.get(code="internal-medicine")
    before = SupportLink.objects.count()

    response = login(network_admin).post(
        "/admin/network/supportlink/add/",
        {
            "hub": hue.pk,
            "spoke": hue.pk,
            "specialties": [internal.pk],
            "priority": 1,
            "valid_from": "01/07/2025",
            "valid_to": "",
            "status": "active",
            "_save": "Save",
        },
    )

    assert response.status_code == 200
    assert vi("A hub cannot support itself.") in response.content.decode()
    assert SupportLink.objects.count() == before
    assert not SupportLink.objects.filter(hub=hue, spoke=hue).exists()


def test_support_link_from_a_hub_to_itself_is_refused_by_the_database():
    hue = Facility.objects.get(name=HUE)

    with pytest.raises(IntegrityError), transaction.atomic():
        SupportLink(hub=hue, spoke=hue, valid_from="2025-07-01").save()

    assert not SupportLink.objects.filter(hub=hue, spoke=hue).exists()


# --- audit of changes --------------------------------------------------------------------------


def test_facility_change_writes_an_audit_event_naming_actor_and_fields(login, network_admin):
    client = login(network_admin)
    lung_cu = Facility.objects.get(name=LUNG_CU)
    url = f"/admin/network/facility/{lung_cu.pk}/change/"
    data = form_values(client.get(url).content.decode(), "facility_form")
    data["phone"] = ["0219 3888 115"]
    data["_save"] = ["Save"]

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    lung_cu.refresh_from_db()
    assert lung_cu.phone == "0219 3888 115"
    event = AuditEvent.objects.filter(
        object_type="network.facility", object_id=str(lung_cu.public_id)
    ).get()
    assert event.action == "update"
    assert event.actor == network_admin
    assert event.actor_label == network_admin.full_name
    assert event.detail == {"fields": ["phone"]}
    assert event.object_label == LUNG_CU


def test_membership_deactivation_through_the_admin_is_audited(login, network_admin, worker):
    client = login(network_admin)
    membership = Membership.objects.get(user=worker)
    url = f"/admin/network/membership/{membership.pk}/change/"
    data = form_values(client.get(url).content.decode(), "membership_form")
    data.pop("is_active")
    data["_save"] = ["Save"]

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert membership.is_active is False
    event = AuditEvent.objects.get(object_type="network.membership", object_id=membership.public_id)
    assert event.actor == network_admin
    assert event.detail == {"fields": ["is_active"]}


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["lung cu", "LŨNG CÚ", "Lung Cu"])
def test_facility_admin_search_ignores_diacritics(login, network_admin, q):
    page = login(network_admin).get("/admin/network/facility/", {"q": q}).content.decode()

    names = changelist_names(page)
    expected = set(Facility.objects.search("lung cu").values_list("name", flat=True))
    assert LUNG_CU in names
    assert set(names) == expected
    assert HUE not in names
