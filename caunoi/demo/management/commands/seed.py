from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.services import audit_chain
from caunoi.codes.loader import icd_load
from caunoi.demo.consults import demo_consults_load, demo_roster_load
from caunoi.demo.network import PERSONAS, demo_network_load
from caunoi.demo.programmes import demo_programmes_load
from caunoi.demo.protocols import demo_protocols_load
from caunoi.demo.quality import demo_quality_load
from caunoi.demo.referrals import demo_referrals_load
from caunoi.demo.scale_consults import scale_consults_load
from caunoi.demo.scale_patients import scale_patients_load
from caunoi.demo.scale_workers import scale_workers_load
from caunoi.demo.training import demo_training_load
from caunoi.demo.transfers import demo_transfers_load
from caunoi.demo.video import demo_video_load
from caunoi.monitoring.facts import refresh as refresh_facts
from caunoi.places.loader import places_load


class Command(BaseCommand):
    help = (
        "Load the 34 provinces and 3,321 communes and the demo network (idempotent). "
        "With --workers N, add N generated health workers for benchmarks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="Load places only.")
        parser.add_argument(
            "--workers", type=int, default=0, metavar="N", help="Add N generated health workers."
        )
        parser.add_argument(
            "--patients",
            type=int,
            default=0,
            metavar="N",
            help="Add N generated patients with consent (benchmarks).",
        )
        parser.add_argument(
            "--consults",
            type=int,
            default=0,
            metavar="N",
            help="Add N generated patients and consultations (benchmarks).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()

        def say(message: str) -> None:
            self.stdout.write(f"  {message}")
            self.stdout.flush()

        self.stdout.write("Places (vietnam-provinces):")
        places_load(progress=say)
        self.stdout.write("Code tables:")
        icd_load(progress=say)
        if not options["no_demo"]:
            self.stdout.write("Demo network:")
            result = demo_network_load(progress=say)
            if not result.skipped:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"  {result.facilities} facilities, {result.links} support links, "
                        f"{result.users} people"
                    )
                )
            self.stdout.write("Demo consultations:")
            made = demo_consults_load(progress=say)
            if made:
                self.stdout.write(self.style.SUCCESS(f"  {made} consultations"))
            self.stdout.write("Demo video sessions:")
            demo_video_load(progress=say)
            self.stdout.write("Demo referrals:")
            demo_referrals_load(progress=say)
            # After the consults: their past escalations were not meant to reach this week's
            # on-call specialists.
            self.stdout.write("Demo on-call roster:")
            demo_roster_load(progress=say)
            self.stdout.write("Demo training:")
            demo_training_load(progress=say)
            self.stdout.write("Demo technique transfers:")
            demo_transfers_load(progress=say)
            self.stdout.write("Demo protocols:")
            demo_protocols_load(progress=say)
            self.stdout.write("Demo quality self-assessments:")
            demo_quality_load(progress=say)
            self.stdout.write("Demo programmes:")
            demo_programmes_load(progress=say)
        if options["workers"]:
            self.stdout.write(f"Scale data: {options['workers']} health workers:")
            scale_workers_load(count=options["workers"], progress=say)
        if options["patients"]:
            self.stdout.write(f"Scale data: {options['patients']} patients:")
            scale_patients_load(count=options["patients"], progress=say)
        if options["consults"]:
            self.stdout.write(f"Scale data: {options['consults']} consultations:")
            scale_consults_load(count=options["consults"], progress=say)
        # The task worker chains audit rows within seconds; a seeded database is whole at once.
        self.stdout.write("Audit trail:")
        say(f"{audit_chain():,} events chained")
        self.stdout.write("Indicator facts:")
        done = refresh_facts(full=bool(options["consults"]), progress=say)
        say(f"{done.written:,} facts")
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Every table this loaded, at once: until autovacuum gets to them the planner
            # believes them empty (sequential scans, wrong joins — the ICD join of a consult
            # took 3–9.6 ms instead of 0.8), and index-only scans still visit the table.
            analysed = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
            self.stdout.write(f"Planner statistics: {time.perf_counter() - analysed:.1f} s")
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")
        if not options["no_demo"]:
            self.stdout.write("\nDemo accounts (password: caunoi-demo):")
            for username, full_name, role, *_rest in PERSONAS:
                self.stdout.write(f"  {username:<12} {full_name} — {role.label}")
            head = User.objects.filter(username="head").first()
            if head is not None:  # made with the training (the head of worker's station)
                self.stdout.write(f"  {'head':<12} {head.full_name} — {_('head of the facility')}")
