from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from caunoi.monitoring.facts import refresh


class Command(BaseCommand):
    help = (
        "Bring the consultation facts behind the indicators up to date: "
        "`caunoi indicators refresh` (what changed) or `refresh --full` (rebuild all)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument("--full", action="store_true", help="rebuild every fact")

    def handle(self, *args: Any, **options: Any) -> None:
        def say(message: str) -> None:
            self.stdout.write(f"  {message}")
            self.stdout.flush()

        done = refresh(full=options["full"], progress=say)
        self.stdout.write(
            self.style.SUCCESS(
                f"{done.written:,} facts written, {done.removed:,} removed in {done.seconds:.1f} s."
            )
        )
