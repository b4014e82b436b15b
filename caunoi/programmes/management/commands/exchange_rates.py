from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from caunoi.programmes.services import rates_load


class Command(BaseCommand):
    help = (
        "Load exchange rates from a CSV file: currency,date,vnd (see caunoi/programmes/README.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            count = rates_load(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        except ValidationError as exc:
            raise CommandError(f"{path}: {' '.join(exc.messages)}") from exc
        self.stdout.write(f"{count} rates loaded")
