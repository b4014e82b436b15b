from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from caunoi.accounts.models import ApiToken, User
from caunoi.accounts.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("username")
        create.add_argument("--name", default="command line")
        listing = sub.add_parser("list", help="List a user's tokens.")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix (the 8 hex digits).")
        revoke.add_argument("prefix")

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"No active user named {username!r}.") from exc

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = self._user(options["username"])
            _row, token = api_token_create(user=user, name=options["name"], actor=None)
            # Only the token on stdout, so scripts can capture it: TOKEN=$(caunoi token create u)
            self.stdout.write(token)
            self.stderr.write("Store it now: it is not kept and cannot be shown again.")
        elif action == "list":
            user = self._user(options["username"])
            for t in ApiToken.objects.filter(user=user):
                state = "active" if t.is_active else f"revoked {t.revoked_at:%Y-%m-%d}"
                self.stdout.write(f"{t.prefix}  {t.created_at:%Y-%m-%d}  {state}  {t.name}")
        elif action == "revoke":
            matches = list(ApiToken.objects.filter(prefix=options["prefix"]))
            if len(matches) != 1:
                raise CommandError(
                    f"{len(matches)} tokens start with {options['prefix']!r}; need exactly one."
                )
            if api_token_revoke(token=matches[0], actor=None):
                self.stdout.write(f"Revoked {matches[0]}.")
            else:
                self.stdout.write("Already revoked.")
