from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from caunoi.audit.models import AuditEvent
from caunoi.audit.services import TAIL_MAX_AGE, audit_chain, audit_tail, audit_verify


class Command(BaseCommand):
    help = (
        "The audit trail's hash chain: `caunoi audit verify` checks it (the chained events and "
        "those still waiting to be chained), `caunoi audit chain` chains the waiting ones now "
        "(the task worker does it every second or so)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "chain"])
        parser.add_argument(
            "--tail-minutes",
            type=float,
            default=TAIL_MAX_AGE.total_seconds() / 60,
            help=(
                "verify: fail when an event has waited longer than this to be chained "
                "(default %(default)g; the task worker chains within seconds)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "chain":
            chained = audit_chain()
            self.stdout.write(self.style.SUCCESS(f"{chained} audit events chained."))
            return
        total = AuditEvent.objects.count()
        problems = list(audit_verify(tail_max_age=timedelta(minutes=options["tail_minutes"])))
        for event, reason in problems[:50]:
            where = (
                f"event {event.pk} ({event.at:%Y-%m-%d %H:%M})"
                if event is not None
                else "chain head"
            )
            self.stderr.write(f"{where}: {reason}")
        if problems:
            raise CommandError(f"{len(problems)} of {total} audit events fail the check.")
        tail = audit_tail()
        waiting = (
            f"; {tail.count} waiting to be chained, the oldest for "
            f"{tail.age().total_seconds():.0f} s"
            if tail.count
            else ""
        )
        self.stdout.write(self.style.SUCCESS(f"{total} audit events, chain intact{waiting}."))
