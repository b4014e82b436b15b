"""``caunoi janus``: a Janus of our own, configured from the settings, until stopped — what
``caunoi serve --with-janus`` (``make demo``) runs beside the platform."""

from __future__ import annotations

import signal
import sys
import time
import urllib.parse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from caunoi.video import janus_local


class Command(BaseCommand):
    help = (
        "Run Janus (the SFU of larger video sessions) at JANUS_URL's port with JANUS_TOKEN_SECRET, "
        "JANUS_ADMIN_KEY and, with --events-url, its events posted there with JANUS_EVENTS_SECRET."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events-url", default="", help="where Janus posts its events")

    def handle(self, *args: Any, **options: Any) -> None:
        if not janus_local.installed():
            raise CommandError("Janus is not installed: apt install janus.")
        where = urllib.parse.urlsplit(settings.JANUS_URL)
        if not where.port:
            raise CommandError("Set JANUS_URL with its port, e.g. http://127.0.0.1:8088/janus.")
        janus = janus_local.start_janus(
            options["events_url"],
            host=where.hostname or "127.0.0.1",
            port=where.port,
            token_secret=settings.JANUS_TOKEN_SECRET,
            admin_key=settings.JANUS_ADMIN_KEY,
            events_secret=settings.JANUS_EVENTS_SECRET,
        )
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        self.stdout.write(self.style.SUCCESS(f"Janus answers at {janus.url}"))
        try:
            while janus.process.poll() is None:
                time.sleep(0.5)
            raise CommandError(f"Janus stopped:\n{janus.log()}")
        finally:
            janus.stop()
