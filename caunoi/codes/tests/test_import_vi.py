"""`caunoi icd import-vi FILE`: the Ministry's Vietnamese list (QĐ 4469/QĐ-BYT) from a CSV file
replaces the project's translation for the codes it names, says what it did, refuses bad rows by
line number and then imports nothing, writes one audit row, and can be run again."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from caunoi.audit.models import AuditEvent
from caunoi.codes.loader import icd_load
from caunoi.codes.models import IcdCode, IcdGroup, TitleSource
from caunoi.codes.vi_import import read_vi_titles

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("icd", "import-vi", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def titles(*codes: str) -> dict[str, tuple[str, str]]:
    return {c.code: (c.title_vi, c.title_vi_source) for c in IcdCode.objects.filter(code__in=codes)}


def imports() -> int:
    return AuditEvent.objects.filter(purpose="icd import-vi").count()


def test_import_replaces_the_projects_translation_and_reports():
    assert titles("I10")["I10"] == ("Tăng huyết áp vô căn (nguyên phát)", TitleSource.CAUNOI)
    out, _err = run(str(FIXTURES / "moh_sample.csv"))
    assert "5 titles read: 5 replaced, 0 updated, 0 unchanged (5 codes, 0 chapters, 0 blocks" in out
    assert titles("I10", "J18.9", "K25.9", "K25") == {
        "I10": ("Bệnh lý tăng huyết áp vô căn (nguyên phát)", TitleSource.MOH),
        "J18.9": ("Viêm phổi, không đặc hiệu", TitleSource.MOH),
        "K25.9": (
            "Loét dạ dày, không đặc hiệu là cấp hay mạn, không có chảy máu hoặc thủng",
            TitleSource.MOH,
        ),
        # Not in the file: the project's translation stays.
        "K25": ("Loét dạ dày", TitleSource.CAUNOI),
    }
    # Search and display follow the new title.
    assert IcdCode.objects.search("khong dac hieu").filter(code="J18.9").exists()
    assert str(IcdCode.objects.get(code="J18.9")) == "J18.9 Viêm phổi, không đặc hiệu"


def test_import_writes_one_audit_row_naming_the_file_and_the_counts():
    run(str(FIXTURES / "moh_sample.csv"))
    event = AuditEvent.objects.get(purpose="icd import-vi")
    assert event.action == "update"
    assert event.detail["file"] == "moh_sample.csv"
    assert len(event.detail["sha256"]) == 64
    assert (event.detail["read"], event.detail["replaced"], event.detail["codes"]) == (5, 5, 5)


def test_running_the_same_import_again_changes_nothing():
    run(str(FIXTURES / "moh_sample.csv"))
    before = list(IcdCode.objects.values_list("code", "title_vi", "title_vi_source", "search_text"))
    out, _err = run(str(FIXTURES / "moh_sample.csv"))
    assert "5 titles read: 0 replaced, 0 updated, 5 unchanged" in out
    assert imports() == 1
    after = list(IcdCode.objects.values_list("code", "title_vi", "title_vi_source", "search_text"))
    assert after == before


def test_a_newer_ministry_title_updates_the_older_one(tmp_path):
    run(str(FIXTURES / "moh_sample.csv"))
    newer = tmp_path / "qd-moi.csv"
    newer.write_text("code;title_vi\nI10;Tăng huyết áp nguyên phát\n", encoding="utf-8")
    out, _err = run(str(newer))
    assert "1 titles read: 0 replaced, 1 updated, 0 unchanged" in out
    assert titles("I10")["I10"] == ("Tăng huyết áp nguyên phát", TitleSource.MOH)
    assert imports() == 2


def test_loading_the_projects_translation_afterwards_keeps_the_ministrys_titles():
    run(str(FIXTURES / "moh_sample.csv"))
    icd_load()
    assert titles("I10")["I10"] == ("Bệnh lý tăng huyết áp vô căn (nguyên phát)", TitleSource.MOH)


def test_the_ministrys_wide_layout_names_chapters_blocks_categories_and_codes():
    out, _err = run(str(FIXTURES / "moh_wide.csv"))
    # 1 chapter (by its range A00-B99), 1 block, 2 categories, 3 codes.
    assert "7 titles read: 7 replaced" in out
    assert "(5 codes, 1 chapters, 1 blocks changed)" in out
    chapter = IcdGroup.objects.get(code="I")
    assert (chapter.title_vi, chapter.title_vi_source) == (
        "Bệnh nhiễm trùng và ký sinh trùng",
        TitleSource.MOH,
    )
    assert IcdGroup.objects.get(code="A00-A09").title_vi == "Bệnh nhiễm khuẩn đường ruột"
    assert titles("A00.1")["A00.1"] == (
        "Bệnh tả do Vibrio cholerae 01, typ sinh học eltor",
        TitleSource.MOH,
    )
    assert titles("A01")["A01"] == ("Bệnh thương hàn và phó thương hàn", TitleSource.MOH)


def test_bad_rows_are_refused_by_line_number_and_nothing_is_imported():
    before = titles("I10")
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"4 bad rows\. Nothing imported\."):
        call_command("icd", "import-vi", str(FIXTURES / "bad_rows.csv"), stderr=err)
    listed = err.getvalue()
    assert "line 3: J18.9 has no title" in listed
    assert "line 4: 'QQ' is not an ICD-10 code" in listed
    assert "line 5: a title without a code" in listed
    assert "line 6: I10 already has another title on line 2" in listed
    assert titles("I10") == before
    assert imports() == 0


def test_a_code_not_in_the_list_refuses_the_file_unless_told_to_skip_it():
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 codes are not in the ICD-10 list"):
        call_command("icd", "import-vi", str(FIXTURES / "unknown_code.csv"), stderr=err)
    assert "line 3: A99.9 is not in the ICD-10 list" in err.getvalue()
    assert titles("I10")["I10"][1] == TitleSource.CAUNOI

    out, err_text = run(str(FIXTURES / "unknown_code.csv"), "--skip-unknown")
    assert "2 titles read: 1 replaced" in out
    assert "line 3: A99.9" in err_text
    assert titles("I10")["I10"] == ("Tăng huyết áp nguyên phát", TitleSource.MOH)


def test_a_file_that_is_not_utf8_is_refused_with_advice():
    with pytest.raises(CommandError, match=r"not UTF-8.*CSV UTF-8.*Nothing imported"):
        run(str(FIXTURES / "not_utf8.csv"))
    assert imports() == 0


def test_a_dry_run_reports_and_changes_nothing():
    out, _err = run(str(FIXTURES / "moh_sample.csv"), "--dry-run")
    assert "5 would replace" in out
    assert "dry run, nothing changed" in out
    assert titles("I10")["I10"][1] == TitleSource.CAUNOI
    assert imports() == 0


def test_a_missing_file_is_named():
    with pytest.raises(CommandError, match=r"khong-co\.csv"):
        run("/nonexistent/khong-co.csv")


# --- reading the file: layouts a spreadsheet may produce ------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "code;title_vi\nI10;Tăng huyết áp\n",
        "\ufeffMã;Tên\r\nI10;Tăng huyết áp\r\n",
        "Mã ICD,Tên bệnh,Tên tiếng Anh\nI10,Tăng huyết áp,Essential hypertension\n",
        "ICD-10\tTên tiếng Việt\nI10\tTăng huyết áp\n",
        "I10|Tăng huyết áp\n",  # no header: code then title
        "# danh mục\n\ncode;title_vi\n i10† ; Tăng  huyết áp \n",
    ],
)
def test_sensible_layouts_are_read(data):
    parsed = read_vi_titles(data.encode("utf-8"))
    assert parsed.errors == []
    assert [(r.code, r.title) for r in parsed.rows] == [("I10", "Tăng huyết áp")]


def test_utf16_from_excel_and_decomposed_vietnamese_are_read():
    import unicodedata

    text = "Mã\tTên\nJ18.9\t" + unicodedata.normalize("NFD", "Viêm phổi") + "\n"
    parsed = read_vi_titles(text.encode("utf-16"))
    assert [(r.code, r.title) for r in parsed.rows] == [("J18.9", "Viêm phổi")]


def test_codes_written_without_the_dot_or_with_marks_are_understood():
    parsed = read_vi_titles("code;title_vi\nA000;Tả\nA17.0†;Lao màng não\nG01*;Viêm\n".encode())
    assert [r.code for r in parsed.rows] == ["A00.0", "A17.0", "G01"]


def test_a_quoted_title_over_two_lines_keeps_the_next_rows_line_numbers():
    parsed = read_vi_titles('code,title_vi\nI10,"Tăng\nhuyết áp"\nJ18.9,\n'.encode())
    assert parsed.rows[0].title == "Tăng huyết áp"
    assert parsed.errors == ["line 4: J18.9 has no title"]
