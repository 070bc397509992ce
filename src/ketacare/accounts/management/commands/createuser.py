"""`ketacare createuser`: create a staff user non-interactively (scripts depend on this form)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketacare.accounts.actions import ActionError, do_add_staff, get_or_create_clinic
from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Role

CLI = Actor(label="cli:createuser")


class Command(BaseCommand):
    help = (
        "Create a staff user in a clinic with a role. Creates the clinic if it does not exist. "
        "An existing user is added to the clinic (their password is unchanged)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--password", required=True, help="At least 10 characters, not a common one."
        )
        parser.add_argument("--clinic", required=True, help="Clinic name (created if new).")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="", help="Full name (default: from the email).")
        parser.add_argument("--credentials", default="", help="e.g. MD, RN")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"] or options["email"].split("@")[0].replace(".", " ").title()
        try:
            clinic, created = get_or_create_clinic(CLI, options["clinic"])
            membership = do_add_staff(
                CLI,
                clinic,
                email=options["email"],
                full_name=name,
                role=options["role"],
                password=options["password"],
                credentials=options["credentials"],
            )
        except ActionError as problem:
            raise CommandError(f"{problem.field}: {problem.message}") from problem
        if created:
            self.stdout.write(f"Created clinic {clinic.name}.")
        self.stdout.write(
            f"{membership.user.email} is {membership.get_role_display()} at {clinic.name}."
        )
