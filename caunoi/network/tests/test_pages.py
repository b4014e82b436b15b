"""The HTML pages: home per role, the facility directory, facility and province pages,
the interface language and the security headers."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Count
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.core.text import fold
from caunoi.demo.network import DEMO_PASSWORD
from caunoi.network.models import Facility, FacilityKind, Membership, TechnicalLevel
from caunoi.network.selectors import spokes_of
from caunoi.places.models import Province

# Demo facts: the registry of the demo network (or its generators).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]

LUNG_CU = "Trạm Y tế xã Lũng Cú"
HUE = "Bệnh viện Trung ương Huế"
BACH_MAI = "Bệnh viện Bạch Mai"
BVDK_TQ = "Bệnh viện Đa khoa tỉnh Tuyên Quang"
RESULT = re.compile(r'<a href="/network/facilities/([0-9a-f-]{36})/"><strong>([^<]*)</strong></a>')


def vi(message: str) -> str:
    with translation.override("vi"):
        return gettext(message)


def vi_label(choice: object) -> str:
    with translation.override("vi"):
        return str(choice)


def vi_number(n: int) -> str:
    with translation.override("vi"):
        return str(intcomma(n))


def match(pattern: str, page: str) -> str:
    found = re.search(pattern, page, flags=re.S)
    assert found is not None, pattern
    return found.group(1)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def results(page: str) -> list[str]:
    return [html.unescape(name) for _id, name in RESULT.findall(page)]


def table_row(page: str, first_cell: str) -> str:
    """The <tr> of a table whose first cell is ``first_cell``."""
    for row in re.findall(r"<tr>.*?</tr>", page, flags=re.S):
        if re.search(rf"<t[hd][^>]*>{re.escape(first_cell)}</t[hd]>", row):
            return row
    raise AssertionError(f"no row {first_cell!r}")


# --- anonymous ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/network/facilities/",
        "/network/facilities/{hue}/",
        "/network/provinces/",
        "/network/provinces/8/",
        "/accounts/profile/",
    ],
)
def test_anonymous_visitor_is_sent_to_the_login_page(url):
    hue = Facility.objects.get(name=HUE)
    url = url.format(hue=hue.public_id)

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


# --- home pages --------------------------------------------------------------------------------


def test_worker_home_shows_her_station_and_her_hubs_first_hub_first(login, worker):
    page = text(login(worker).get("/"))

    assert LUNG_CU in page
    internal = table_row(page, "Nội khoa")
    assert HUE in internal
    assert BACH_MAI in internal
    assert internal.index(HUE) < internal.index(BACH_MAI)
    hue = Facility.objects.get(name=HUE)
    assert hue.get_absolute_url() in internal
    assert "Bệnh viện Nhi Trung ương" in table_row(page, "Nhi khoa")
    # A worker sees no network figures and no administration.
    assert 'class="stats"' not in page
    assert "/admin/" not in page


@pytest.mark.parametrize("persona", ["specialist", "coordinator"])
def test_hub_staff_home_shows_their_hub_and_how_many_facilities_it_supports(login, persona):
    user = User.objects.get(username=persona)
    hue = Facility.objects.get(name=HUE)

    page = text(login(user).get("/"))

    assert HUE in page
    assert hue.get_absolute_url() in page
    supported = spokes_of(hue).count()
    assert supported > 400
    assert f"<dd>{vi_number(supported)}</dd>" in page
    queue = "?queue=triage" if persona == "coordinator" else "?queue=hub"
    assert queue in page
    assert LUNG_CU not in page


def test_specialist_home_names_her_specialty(login, specialist):
    page = text(login(specialist).get("/"))

    assert "<dd>Nội khoa</dd>" in page


def test_receiver_home_shows_the_provincial_hospital(login, receiver):
    page = text(login(receiver).get("/"))

    assert BVDK_TQ in page
    assert vi("Incoming referrals") in page
    assert HUE not in page


def test_officer_home_shows_tuyen_quang_figures(login, officer):
    tq = Province.objects.get(code=8)
    facilities = Facility.objects.active().filter(province=tq)
    workers = (
        Membership.objects.active().filter(facility__province=tq).values("user").distinct().count()
    )

    page = text(login(officer).get("/"))

    assert tq.name in page
    stats = match(r'<ul class="stats">(.*?)</ul>', page)
    numbers = [int(n.replace(".", "")) for n in re.findall(r"<strong>([\d.]+)</strong>", stats)]
    assert numbers == [
        1,
        facilities.count(),
        facilities.filter(kind=FacilityKind.STATION).count(),
        facilities.filter(is_hub=True).count(),
        workers,
    ]
    assert tq.get_absolute_url() in page


def test_donor_home_shows_network_totals_and_no_facility_staff(login, donor):
    active = Facility.objects.active()
    worker_membership = Membership.objects.get(user__username="worker")

    page = text(login(donor).get("/"))

    stats = match(r'<ul class="stats">(.*?)</ul>', page)
    assert f"<strong>{vi_number(active.count())}</strong>" in stats
    assert f"<strong>{vi_number(active.filter(kind='station').count())}</strong>" in stats
    assert f"<strong>{vi_number(active.values('province').distinct().count())}</strong>" in stats
    assert worker_membership.user.full_name not in page
    assert worker_membership.licence_number not in page
    assert LUNG_CU not in page
    assert "/admin/" not in page


def test_admin_home_links_to_the_administration(login, network_admin):
    page = text(login(network_admin).get("/"))

    for url in (
        "/admin/network/facility/",
        "/admin/network/supportlink/",
        "/admin/network/membership/",
        "/admin/",
    ):
        assert f'href="{url}"' in page
    assert f"<strong>{vi_number(Facility.objects.active().count())}</strong>" in page


def test_outsider_home_says_she_belongs_to_no_facility(login, outsider):
    page = text(login(outsider).get("/"))

    assert (
        vi(
            "Your account is not yet a member of any facility. Ask your network administrator "
            "to add you."
        )
        in page
    )
    assert 'class="stats"' not in page


# --- the directory -----------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["lung cu", "LUNG CU", "Lũng Cú", "tram y te xa lung cu"])
def test_directory_search_ignores_diacritics_and_case(login, worker, q):
    page = text(login(worker).get("/network/facilities/", {"q": q}))

    names = results(page)
    assert LUNG_CU in names
    assert all("lung cu" in Facility.objects.get(name=n).search_name for n in names)
    assert len(names) == Facility.objects.active().filter(search_name__contains=fold(q)).count()


def test_directory_filters_by_province_and_kind(login, worker):
    expected = list(
        Facility.objects.active()
        .filter(province__code=8, kind=FacilityKind.STATION)
        .order_by("name", "id")
        .values_list("name", flat=True)
    )

    page = text(login(worker).get("/network/facilities/", {"province": 8, "kind": "station"}))

    assert results(page) == expected[:25]
    assert re.search(rf'<div id="results"[^>]*>\s*<p class="muted">{len(expected)} ', page)
    assert vi_label(FacilityKind.STATION.label) in page
    assert HUE not in page
    # The commune choices follow the chosen province.
    assert '<option value="715">Xã Lũng Cú</option>' in page


def test_directory_filters_hubs(login, worker):
    page = text(login(worker).get("/network/facilities/", {"hub": "1"}))

    assert set(results(page)) == set(
        Facility.objects.active().hubs().values_list("name", flat=True)
    )


def test_directory_second_page_continues_the_first(login, worker):
    client = login(worker)
    expected = list(
        Facility.objects.active()
        .filter(province__code=8, kind=FacilityKind.STATION)
        .order_by("name", "id")
        .values_list("name", flat=True)
    )

    first = results(text(client.get("/network/facilities/?province=8&kind=station")))
    second_page = text(client.get("/network/facilities/?province=8&kind=station&page=2"))
    second = results(second_page)

    assert first == expected[:25]
    assert second == expected[25:50]
    assert not set(first) & set(second)
    # The pager keeps the filters.
    assert "?province=8&amp;kind=station&amp;page=3" in second_page


def test_htmx_request_gets_only_the_results_fragment(login, worker):
    response = login(worker).get(
        "/network/facilities/",
        {"q": "lung cu"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )

    fragment = text(response)
    assert fragment.lstrip().startswith('<div id="results"')
    assert "<html" not in fragment
    assert "<form" not in fragment
    assert "<header" not in fragment
    assert LUNG_CU in results(fragment)


def test_htmx_request_for_another_target_gets_the_whole_page(login, worker):
    response = login(worker).get(
        "/network/facilities/", headers={"HX-Request": "true", "HX-Target": "main"}
    )

    assert "<html" in text(response)


@pytest.mark.parametrize(
    "params",
    [
        {"province": "abc"},
        {"province": "999"},
        {"kind": "hospital"},
        {"level": "advanced"},
        {"hub": "maybe"},
        {"q": "x" * 101},
    ],
)
def test_invalid_filters_show_a_message_instead_of_crashing(login, worker, params):
    page = text(login(worker).get("/network/facilities/", params))

    assert vi("Some filters are not valid and were ignored.") in page
    total = Facility.objects.active().count()
    assert f"{total}" in page.replace(".", "")
    assert len(results(page)) == 25


def test_a_valid_filter_still_applies_when_another_is_invalid(login, worker):
    # Huế's ward 19789 is not in Tuyên Quang (8): the commune is refused, the province kept.
    page = text(login(worker).get("/network/facilities/", {"province": "8", "commune": "19789"}))

    assert vi("Some filters are not valid and were ignored.") in page
    in_province = Facility.objects.active().filter(province__code=8).count()
    assert f"{in_province} " in page.replace(".", "")
    assert len(results(page)) == 25


def test_directory_query_count_does_not_grow_with_the_page_size(
    login, worker, settings, django_assert_max_num_queries
):
    client = login(worker)
    client.get("/network/facilities/")
    counts = []
    for size in (5, 100):
        settings.PAGE_SIZE = size
        with django_assert_max_num_queries(12) as captured:
            page = text(client.get("/network/facilities/", {"province": 8}))
        assert len(results(page)) == size
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]


# --- facility pages ----------------------------------------------------------------------------


def test_station_page_shows_kind_level_code_staff_and_hubs(login, worker):
    lung_cu = Facility.objects.get(name=LUNG_CU)
    staff = list(Membership.objects.active().filter(facility=lung_cu).select_related("user"))

    page = text(login(worker).get(lung_cu.get_absolute_url()))

    assert f"<h1>{LUNG_CU} " in page
    assert f"<dd>{vi_label(FacilityKind.STATION.label)}</dd>" in page
    assert f"<dd>{vi_label(TechnicalLevel.INITIAL.label)}</dd>" in page
    assert f"<dd>{lung_cu.code}</dd>" in page
    assert len(staff) == 4
    for m in staff:
        assert m.user.full_name in page
        assert m.licence_number
        assert f"<td>{m.licence_number}</td>" in page
    internal = table_row(page, "Nội khoa")
    assert internal.index(HUE) < internal.index(BACH_MAI)
    # A station supports nobody.
    assert vi("Facilities supported by this hub") not in page


def test_hub_page_lists_the_facilities_it_supports(login, specialist):
    hue = Facility.objects.get(name=HUE)
    links = spokes_of(hue)
    first_page = [link.spoke.name for link in links[:50]]

    page = text(login(specialist).get(hue.get_absolute_url()))

    assert vi("Facilities supported by this hub") in page
    assert re.search(rf'<p class="muted">{links.count()} ', page)
    positions = [page.index(f">{name}</a>") for name in first_page]
    assert positions == sorted(positions)
    specialist_membership = Membership.objects.get(user=specialist)
    assert f"<td>{specialist_membership.licence_number}</td>" in page
    assert 'rel="next"' in page


def test_hub_page_second_page_of_spokes(login, specialist):
    hue = Facility.objects.get(name=HUE)
    second = [link.spoke.name for link in spokes_of(hue)[50:100]]

    page = text(login(specialist).get(hue.get_absolute_url(), {"page": 2}))

    for name in second:
        assert f">{name}</a>" in page


def test_unknown_facility_page_is_404(login, worker):
    response = login(worker).get("/network/facilities/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404


# --- province pages ----------------------------------------------------------------------------


def test_province_page_shows_the_kind_by_level_table(login, officer):
    tq = Province.objects.get(code=8)
    counts = {
        (row["kind"], row["level"]): row["n"]
        for row in Facility.objects.filter(province=tq, status="active")
        .values("kind", "level")
        .annotate(n=Count("id"))
    }
    levels = [*TechnicalLevel.values, ""]

    page = text(login(officer).get("/network/provinces/8/"))

    assert f"<h1>{tq.name}</h1>" in page
    kinds_present = {kind for kind, _level in counts}
    for kind in FacilityKind:
        label = vi_label(kind.label)
        if kind.value not in kinds_present:
            assert f'<th scope="row">{label}</th>' not in page
            continue
        row = table_row(page, label)
        cells = [int(n) for n in re.findall(r'<td class="num">(?:<strong>)?(\d+)', row)]
        expected = [counts.get((kind.value, level), 0) for level in levels]
        assert cells == [*expected, sum(expected)], kind
    footer = match(r"<tfoot>(.*?)</tfoot>", page)
    totals = [int(n) for n in re.findall(r'<td class="num">(?:<strong>)?(\d+)', footer)]
    per_level = [sum(n for (_k, lv), n in counts.items() if lv == level) for level in levels]
    assert totals == [*per_level, sum(counts.values())]
    assert counts[("station", "initial")] == 124


def test_unknown_province_is_404(login, officer):
    assert login(officer).get("/network/provinces/99/").status_code == 404


def test_province_list_counts_facilities(login, worker):
    page = text(login(worker).get("/network/provinces/"))

    tq = Province.objects.get(code=8)
    row = table_row(page, "08")
    assert tq.name in row
    assert f'<td class="num">{Facility.objects.active().filter(province=tq).count()}</td>' in row
    assert len(re.findall(r"<tr><td>\d\d</td>", page)) == 34


# --- language ----------------------------------------------------------------------------------


def test_pages_are_vietnamese_by_default(login, worker):
    response = login(worker).get("/")

    page = text(response)
    assert '<html lang="vi">' in page
    assert response["Content-Language"] == "vi"
    assert "Xin chào, Mai" in page


def test_choosing_english_sets_the_cookie_and_saves_it_on_the_account(login, worker):
    client = login(worker)
    assert '<html lang="vi">' in text(client.get("/"))

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/network/facilities/"})

    assert response.status_code == 302
    assert response["Location"] == "/network/facilities/"
    assert response.cookies["django_language"].value == "en"
    worker.refresh_from_db()
    assert worker.language == "en"
    assert AuditEvent.objects.filter(
        actor=worker, action="update", object_id=str(worker.public_id)
    ).exists()
    page = text(client.get("/"))
    assert '<html lang="en">' in page
    assert "Hello, Mai" in page


def test_language_switch_right_after_signing_in_is_kept(login, worker):
    client = login(worker)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    worker.refresh_from_db()
    assert worker.language == "en"
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in text(client.get("/"))


def test_english_choice_is_restored_when_signing_in_on_another_computer(login, worker):
    first_computer = login(worker)
    first_computer.get("/")
    first_computer.post("/i18n/setlang/", {"language": "en", "next": "/"})

    other_computer = Client()
    response = other_computer.post(
        "/accounts/login/", {"username": "worker", "password": DEMO_PASSWORD}, follow=True
    )

    page = text(response)
    assert response.redirect_chain[-1][0] == "/"
    assert '<html lang="en">' in page
    assert "Hello, Mai" in page
    assert other_computer.cookies["django_language"].value == "en"
    # The next page keeps English through the cookie.
    assert '<html lang="en">' in text(other_computer.get("/network/facilities/"))


def test_unknown_language_changes_nothing(login, worker):
    client = login(worker)

    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})

    worker.refresh_from_db()
    assert worker.language == "vi"
    assert '<html lang="vi">' in text(client.get("/"))


def test_language_switch_refuses_to_redirect_to_another_site(login, worker):
    response = login(worker).post(
        "/i18n/setlang/", {"language": "en", "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# --- security headers --------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/network/facilities/", "/network/provinces/8/"])
def test_pages_carry_a_strict_content_security_policy(login, worker, url):
    response = login(worker).get(url)

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
