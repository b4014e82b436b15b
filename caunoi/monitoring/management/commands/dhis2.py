from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from caunoi.monitoring.catalogue import Place
from caunoi.monitoring.dhis2 import data_value_set, dhis2_push
from caunoi.monitoring.periods import parse_period


class Command(BaseCommand):
    help = (
        "DHIS2 dataValueSets: `caunoi dhis2 payload --period 2026-10` prints it, `push` sends it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["payload", "push"])
        parser.add_argument("--period", required=True, help="2026-10, 2026-Q3, 2026 …")
        parser.add_argument(
            "--province", type=int, action="append", help="only this province (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = parse_period(options["period"])
        except ValueError as exc:
            raise CommandError(f"Not a period: {options['period']}") from exc
        within = [
            Place(kind="province", province_code=code) for code in options["province"] or []
        ] or [Place()]
        if options["action"] == "payload":
            self.stdout.write(
                json.dumps(data_value_set(period, within=within), ensure_ascii=False, indent=2)
            )
            return
        push = dhis2_push(period=period, actor=None, within=within)
        if not push.ok:
            raise CommandError(f"DHIS2 answered {push.status}: {push.response[:500]}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{push.values} values sent for {push.period}; DHIS2 answered {push.status}."
            )
        )
