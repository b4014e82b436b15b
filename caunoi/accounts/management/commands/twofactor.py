from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from caunoi.accounts.models import User
from caunoi.accounts.services import two_factor_disable


class Command(BaseCommand):
    help = (
        "Reset a person's two-factor sign-in (lost phone and recovery codes): their app and "
        "codes are removed; whoever's role requires it sets it up again at the next sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reset = sub.add_parser("reset", help="Remove the user's authenticator app and codes.")
        reset.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        if two_factor_disable(user=user, actor=None):
            self.stdout.write(f"Two-factor sign-in of {user.username} reset.")
        else:
            self.stdout.write(f"{user.username} had no two-factor sign-in.")
