"""`ketacare token create|revoke|list`: API tokens from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketacare.accounts.actions import ActionError, do_create_token, do_revoke_token
from ketacare.accounts.audit import Actor
from ketacare.accounts.models import ApiToken, Membership

CLI = Actor(label="cli:token")


class Command(BaseCommand):
    help = (
        "API tokens. 'create --user EMAIL [--clinic NAME] [--name TEXT]' prints the new token "
        "alone on stdout (shown once). 'revoke PREFIX' revokes a token by its first characters. "
        "'list [--user EMAIL]' shows tokens without their secrets."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token; prints only the token.")
        create.add_argument("--user", required=True, help="Email of the token's owner.")
        create.add_argument(
            "--clinic", default="", help="Clinic name (needed if the user has several)."
        )
        create.add_argument("--name", default="command line", help="What the token is for.")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix", help="The token's prefix (the 8 characters after 'kc_').")
        listing = sub.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("--user", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        memberships = Membership.objects.select_related("user", "clinic").filter(
            user__email=options["user"].strip().lower(), is_active=True
        )
        if options["clinic"]:
            memberships = memberships.filter(clinic__name__iexact=options["clinic"])
        found = list(memberships)
        if not found:
            raise CommandError(
                f"user: no active staff member {options['user']!r}"
                + (f" at {options['clinic']!r}" if options["clinic"] else "")
                + "."
            )
        if len(found) > 1:
            names = ", ".join(m.clinic.name for m in found)
            raise CommandError(
                f"clinic: {options['user']} works at several clinics ({names}); pass --clinic."
            )
        try:
            _, raw = do_create_token(CLI, found[0], options["name"])
        except ActionError as problem:
            raise CommandError(f"{problem.field}: {problem.message}") from problem
        self.stdout.write(raw)

    def _revoke(self, options: dict[str, Any]) -> None:
        prefix = options["prefix"].removeprefix("kc_")[:8]
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"prefix: no token starts with {options['prefix']!r}.")
        do_revoke_token(CLI, token)
        self.stdout.write(f"Revoked token {token.prefix}… of {token.user.email}.")

    def _list(self, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.select_related("user", "clinic")
        if options["user"]:
            tokens = tokens.filter(user__email=options["user"].lower())
        for t in tokens:
            state = "active" if t.is_active else f"revoked {t.revoked_at:%Y-%m-%d}"
            self.stdout.write(f"{t.prefix}  {t.user.email}  {t.clinic.name}  {t.name}  {state}")
