from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from caunoi.audit.models import AuditEvent
from caunoi.audit.services import audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain: `caunoi audit verify`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        total = AuditEvent.objects.count()
        problems = list(audit_verify())
        for event, reason in problems[:50]:
            where = (
                f"event {event.pk} ({event.at:%Y-%m-%d %H:%M})"
                if event is not None
                else "chain head"
            )
            self.stderr.write(f"{where}: {reason}")
        if problems:
            raise CommandError(f"{len(problems)} of {total} audit events fail the check.")
        self.stdout.write(self.style.SUCCESS(f"{total} audit events, chain intact."))
