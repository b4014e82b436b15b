"""A network administrator may correct a Vietnamese title in the admin: it is then marked as an
administrator's, audited, and the project's translation no longer overwrites it."""

from __future__ import annotations

import pytest

from caunoi.audit.models import AuditEvent
from caunoi.codes.loader import icd_load
from caunoi.codes.models import IcdCode, IcdGroup, TitleSource

pytestmark = pytest.mark.django_db


def test_admin_edit_marks_the_title_as_an_administrators_and_survives_loading(login, network_admin):
    j00 = IcdCode.objects.get(code="J00")
    client = login(network_admin)
    url = f"/admin/codes/icdcode/{j00.pk}/change/"
    assert "Viêm mũi họng cấp [cảm thường]" in client.get(url).content.decode()

    response = client.post(url, {"title_vi": " Cảm lạnh (viêm mũi họng cấp) ", "_save": "Save"})

    assert response.status_code == 302, response.content.decode()[:2000]
    j00.refresh_from_db()
    assert (j00.title_vi, j00.title_vi_source) == (
        "Cảm lạnh (viêm mũi họng cấp)",
        TitleSource.ADMIN,
    )
    assert "cam lanh (viem mui hong cap)" in j00.search_text
    event = AuditEvent.objects.get(object_type="codes.icdcode", object_id=str(j00.pk))
    assert event.detail == {"fields": ["title_vi"]}
    icd_load()
    j00.refresh_from_db()
    assert j00.title_vi == "Cảm lạnh (viêm mũi họng cấp)"


def test_admin_lists_chapters_and_blocks_with_their_titles(login, network_admin):
    page = login(network_admin).get("/admin/codes/icdgroup/?kind__exact=chapter").content.decode()
    assert "Bệnh hệ tuần hoàn" in page
    assert "Diseases of the circulatory system" in page
    assert IcdGroup.objects.filter(kind="chapter").count() == 22


def test_admin_search_finds_codes_without_diacritics(login, network_admin):
    page = login(network_admin).get("/admin/codes/icdcode/", {"q": "loet da day"}).content.decode()
    assert "K25" in page
    assert "Loét dạ dày" in page
