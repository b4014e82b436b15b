from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from caunoi.codes.loader import icd_load
from caunoi.codes.models import IcdCode, IcdGroup
from caunoi.codes.services import IcdImportRefused, icd_titles_vi_import
from caunoi.codes.vi_import import ViListError, read_vi_titles

SHOWN = 50  # bad rows listed before "and N more"


class Command(BaseCommand):
    help = (
        "ICD-10 code tables: `caunoi icd load` (WHO codes and the project's Vietnamese titles), "
        "`caunoi icd import-vi FILE` (the Ministry's list, QĐ 4469/QĐ-BYT, from a CSV file), "
        "`caunoi icd status` (how many titles come from where)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load", help="Add missing codes; refresh the project's Vietnamese titles.")
        imp = sub.add_parser(
            "import-vi",
            help=(
                "Replace Vietnamese titles with the Ministry's, from a CSV file: a code column "
                "and a Vietnamese title column (code;title_vi, Mã;Tên, or the Ministry's "
                "Mã X/Tên X columns), UTF-8, delimiter and header detected."
            ),
        )
        imp.add_argument("file", type=Path)
        imp.add_argument(
            "--skip-unknown",
            action="store_true",
            help="Import the rest when some codes are not in the WHO list (they are listed).",
        )
        imp.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")
        sub.add_parser("status", help="Count the Vietnamese titles by source.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "load":
            icd_load(progress=lambda message: self.stdout.write(message))
        elif action == "status":
            self._status()
        elif action == "import-vi":
            self._import(options["file"], options["skip_unknown"], options["dry_run"])

    def _status(self) -> None:
        for label, model in (("codes", IcdCode), ("chapters and blocks", IcdGroup)):
            counts = dict(
                model.objects.values_list("title_vi_source").annotate(n=Count("pk")).order_by()
            )
            total = sum(counts.values())
            self.stdout.write(
                f"{label}: {total} — Ministry {counts.get('moh', 0)}, "
                f"Cầu Nối translation {counts.get('caunoi', 0)}, "
                f"administrator {counts.get('admin', 0)}, English only {counts.get('', 0)}"
            )

    def _import(self, path: Path, skip_unknown: bool, dry_run: bool) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        try:
            parsed = read_vi_titles(data)
        except ViListError as exc:
            raise CommandError(f"{path}: {exc}. Nothing imported.") from exc
        if parsed.errors:
            self._list(parsed.errors)
            raise CommandError(f"{path}: {len(parsed.errors)} bad rows. Nothing imported.")
        if not parsed.rows:
            raise CommandError(f"{path}: no codes with titles. Nothing imported.")
        try:
            report = icd_titles_vi_import(
                rows=parsed.rows,
                actor=None,
                file_name=path.name,
                file_sha256=hashlib.sha256(data).hexdigest(),
                skip_unknown=skip_unknown,
                dry_run=dry_run,
            )
        except IcdImportRefused as exc:
            self._list(exc.errors)
            raise CommandError(
                f"{path}: {len(exc.errors)} codes are not in the ICD-10 list. Nothing imported "
                "(--skip-unknown imports the rest)."
            ) from exc
        if report.skipped:
            self.stderr.write(f"Skipped {len(report.skipped)} codes not in the ICD-10 list:")
            self._list(report.skipped)
        kinds = report.by_kind
        verb = "would replace" if dry_run else "replaced"
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.read} titles read: {report.replaced} {verb}, {report.updated} updated, "
                f"{report.unchanged} unchanged ({kinds['codes']} codes, {kinds['chapters']} "
                f"chapters, {kinds['blocks']} blocks changed)"
                + (" — dry run, nothing changed." if dry_run else ".")
            )
        )

    def _list(self, lines: list[str]) -> None:
        for line in lines[:SHOWN]:
            self.stderr.write(f"  {line}")
        if len(lines) > SHOWN:
            self.stderr.write(f"  … and {len(lines) - SHOWN} more")
