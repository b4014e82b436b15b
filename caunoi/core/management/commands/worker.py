from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background task worker (deadlines, notifications, exports)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Run ready tasks, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args: Any, **options: Any) -> None:
        extra: dict[str, Any] = {"interval": options["interval"]}
        if options["batch"]:
            extra["batch"] = True
        call_command("db_worker", queue_name="*", **extra)
