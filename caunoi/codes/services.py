"""Changing the code tables: loading the Ministry's Vietnamese ICD-10 titles."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from caunoi.audit.models import AuditAction
from caunoi.audit.services import audit_record
from caunoi.codes.models import GroupKind, IcdCode, IcdGroup, TitleSource, icd_search_text
from caunoi.codes.vi_import import ViTitleRow
from caunoi.core.person import Person


class IcdImportRefused(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} rows refused")
        self.errors = errors


@dataclass
class IcdImportReport:
    read: int = 0
    replaced: int = 0  # had the project's translation, an administrator's or none
    updated: int = 0  # had another title from the Ministry's list
    unchanged: int = 0  # had this very title from the Ministry's list
    skipped: list[str] = field(default_factory=list)  # unknown codes, with --skip-unknown
    by_kind: dict[str, int] = field(default_factory=dict)  # changed rows: codes, chapters, blocks

    @property
    def changed(self) -> int:
        return self.replaced + self.updated


def _resolve(
    rows: list[ViTitleRow],
) -> tuple[dict[str, ViTitleRow], dict[str, ViTitleRow], list[ViTitleRow]]:
    """Split rows into codes and groups; a chapter may be named by its range (``A00-B99``)."""
    code_ids = set(
        IcdCode.objects.filter(code__in=[r.code for r in rows]).values_list("code", flat=True)
    )
    groups = {g.code: g for g in IcdGroup.objects.only("code", "kind", "first", "last")}
    chapter_by_range = {
        f"{g.first}-{g.last}": g.code for g in groups.values() if g.kind == GroupKind.CHAPTER
    }
    codes: dict[str, ViTitleRow] = {}
    group_rows: dict[str, ViTitleRow] = {}
    unknown: list[ViTitleRow] = []
    for row in rows:
        if row.code in code_ids:
            codes[row.code] = row
        elif row.code in groups:
            group_rows[row.code] = row
        elif row.code in chapter_by_range and row.code not in groups:
            group_rows[chapter_by_range[row.code]] = row
        else:
            unknown.append(row)
    return codes, group_rows, unknown


def icd_titles_vi_import(
    *,
    rows: list[ViTitleRow],
    actor: Person | None,
    file_name: str,
    file_sha256: str,
    skip_unknown: bool = False,
    dry_run: bool = False,
) -> IcdImportReport:
    """Store the Ministry's Vietnamese titles (source "moh") for the codes ``rows`` name.

    All or nothing: a code that is not in the WHO list refuses the whole file (naming its line)
    unless ``skip_unknown``. Idempotent: titles already stored from the Ministry are counted as
    unchanged and not written again. One audit row when anything changed.
    """
    report = IcdImportReport(read=len(rows))
    with transaction.atomic():
        codes, groups, unknown = _resolve(rows)
        if unknown and not skip_unknown:
            raise IcdImportRefused(
                [f"line {r.line}: {r.code} is not in the ICD-10 list" for r in unknown]
            )
        report.skipped = [f"line {r.line}: {r.code}" for r in unknown]
        changed_codes = _changes(
            list(IcdCode.objects.select_for_update().filter(code__in=codes)), codes, report
        )
        changed_groups = _changes(
            list(IcdGroup.objects.select_for_update().filter(code__in=groups)), groups, report
        )
        for c in changed_codes:
            c.search_text = icd_search_text(c.code, c.title_en, c.title_vi)
        report.by_kind = {
            "codes": len(changed_codes),
            "chapters": sum(g.kind == GroupKind.CHAPTER for g in changed_groups),
            "blocks": sum(g.kind == GroupKind.BLOCK for g in changed_groups),
        }
        if dry_run or not report.changed:
            return report
        fields = ["title_vi", "title_vi_source"]
        IcdCode.objects.bulk_update(changed_codes, [*fields, "search_text"], batch_size=500)
        IcdGroup.objects.bulk_update(changed_groups, fields, batch_size=500)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="codes.icdcode",
            object_label="ICD-10 Vietnamese titles (QĐ 4469/QĐ-BYT)",
            purpose="icd import-vi",
            detail={
                "file": file_name,
                "sha256": file_sha256,
                "read": report.read,
                "replaced": report.replaced,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "skipped": len(report.skipped),
                **report.by_kind,
            },
        )
    return report


def _changes[T: (IcdCode, IcdGroup)](
    objects: list[T], rows: dict[str, ViTitleRow], report: IcdImportReport
) -> list[T]:
    """The objects whose Vietnamese title the rows change, changed (not saved)."""
    changed: list[T] = []
    for obj in objects:
        title = rows[obj.code].title
        if obj.title_vi_source == TitleSource.MOH:
            if obj.title_vi == title:
                report.unchanged += 1
                continue
            report.updated += 1
        else:
            report.replaced += 1
        obj.title_vi = title
        obj.title_vi_source = TitleSource.MOH
        changed.append(obj)
    return changed
