from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from caunoi.quality.loader import criteria_load


class Command(BaseCommand):
    help = "Load a quality criteria set from its JSON file (see caunoi/quality/README.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            criteria_set, created = criteria_load(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        except ValidationError as exc:
            raise CommandError(f"{path}: {' '.join(exc.messages)}") from exc
        count = sum(s.criteria.count() for s in criteria_set.sections.all())
        word = "loaded" if created else "already loaded"
        self.stdout.write(f"{criteria_set.code} {criteria_set.version}: {word}, {count} criteria")
