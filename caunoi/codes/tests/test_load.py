"""Loading ICD-10 (`caunoi seed`, `caunoi icd load`, and the test database): WHO codes with the
project's Vietnamese titles, chapters and blocks, idempotent, and never over the Ministry's or an
administrator's titles."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caunoi.codes import loader
from caunoi.codes.loader import icd_load
from caunoi.codes.models import GroupKind, IcdCode, IcdGroup, TitleSource

pytestmark = pytest.mark.django_db


def test_loaded_codes_carry_the_projects_vietnamese_title_marked_as_such():
    j189 = IcdCode.objects.get(code="J18.9")
    assert j189.title_en == "Pneumonia, unspecified"
    assert j189.title_vi == "Viêm phổi, không xác định"
    assert j189.title_vi_source == TitleSource.CAUNOI
    assert IcdCode.objects.filter(code__regex=r"^[A-Z][0-9]{2}$", title_vi="").count() == 0
    untranslated = IcdCode.objects.get(code="A00.0")
    assert (untranslated.title_vi, untranslated.title_vi_source) == ("", TitleSource.NONE)


def test_chapters_and_blocks_are_loaded_with_their_place_in_the_tree():
    assert IcdGroup.objects.filter(kind=GroupKind.CHAPTER).count() == 22
    assert IcdGroup.objects.filter(kind=GroupKind.BLOCK).count() >= 260
    chapter = IcdGroup.objects.get(code="I")
    assert (chapter.first, chapter.last) == ("A00", "B99")
    assert chapter.title_vi == "Một số bệnh nhiễm trùng và ký sinh trùng"
    block = IcdGroup.objects.get(code="I10-I15")
    assert block.parent_id == "IX"
    assert block.title_vi == "Bệnh tăng huyết áp"
    assert IcdGroup.objects.get(code="C00-C14").parent_id == "C00-C75"
    assert not IcdGroup.objects.filter(title_vi="").exists()


def test_loading_again_changes_nothing():
    before = list(IcdCode.objects.values_list("code", "title_vi", "title_vi_source", "search_text"))
    with CaptureQueriesContext(connection) as queries:
        assert icd_load() == 0
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))
    ]
    assert writes == []
    assert len(queries.captured_queries) <= 6
    after = list(IcdCode.objects.values_list("code", "title_vi", "title_vi_source", "search_text"))
    assert after == before


def test_loading_never_overwrites_the_ministrys_or_an_administrators_title():
    IcdCode.objects.filter(code="I10").update(
        title_vi="Bệnh lý tăng huyết áp vô căn (nguyên phát)", title_vi_source=TitleSource.MOH
    )
    IcdCode.objects.filter(code="J00").update(
        title_vi="Cảm lạnh thông thường", title_vi_source=TitleSource.ADMIN
    )
    IcdCode.objects.filter(code="K25").update(title_vi="cũ", title_vi_source=TitleSource.CAUNOI)
    icd_load()
    assert IcdCode.objects.get(code="I10").title_vi == "Bệnh lý tăng huyết áp vô căn (nguyên phát)"
    assert IcdCode.objects.get(code="J00").title_vi == "Cảm lạnh thông thường"
    assert IcdCode.objects.get(code="K25").title_vi == "Loét dạ dày"


def test_a_title_taken_out_of_the_file_is_taken_out_of_the_database(tmp_path, monkeypatch):
    shorter = tmp_path / "icd10_vi.csv"
    lines = loader.VI_TITLES.read_text(encoding="utf-8").splitlines(True)
    shorter.write_text("".join(x for x in lines if not x.startswith("J18.9;")), encoding="utf-8")
    monkeypatch.setattr(loader, "VI_TITLES", shorter)
    icd_load()
    j189 = IcdCode.objects.get(code="J18.9")
    assert (j189.title_vi, j189.title_vi_source) == ("", TitleSource.NONE)
    assert j189.title == "Pneumonia, unspecified"


def test_an_upgraded_database_gets_vietnamese_titles_and_new_search_text():
    """A database loaded before the translation: English only, old search text."""
    IcdCode.objects.filter(code__startswith="K2").update(
        title_vi="", title_vi_source="", search_text="k25 gastric ulcer"
    )
    IcdGroup.objects.filter(code="XI").update(title_vi="", title_vi_source="")
    icd_load()
    assert IcdCode.objects.get(code="K25").title_vi == "Loét dạ dày"
    assert IcdGroup.objects.get(code="XI").title_vi == "Bệnh hệ tiêu hóa"
    assert "loet da day" in IcdCode.objects.get(code="K25").search_text


def test_icd_load_command_says_what_it_did():
    out = io.StringIO()
    call_command("icd", "load", stdout=out)
    assert "0 codes added, 0 Vietnamese titles refreshed" in out.getvalue()


def test_icd_status_counts_titles_by_source():
    IcdCode.objects.filter(code="I10").update(title_vi="Tăng huyết áp", title_vi_source="moh")
    out = io.StringIO()
    call_command("icd", "status", stdout=out)
    text = out.getvalue()
    assert "codes: 12246 — Ministry 1," in text
    assert "chapters and blocks: 296 — Ministry 0, Cầu Nối translation 296" in text
