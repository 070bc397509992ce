"""`ketacare demo`: load the demo clinics (once), or rebuild them with --refresh."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ketacare.demo.chairs_demo import live_demo_clinic, stage_live_chairs
from ketacare.demo.loader import DEMO_PASSWORD, demo_logins, is_loaded, load_demo, remove_demo


class Command(BaseCommand):
    help = (
        "Load two demo clinics with staff in every role and 40 synthetic patients each. "
        "Does nothing if they are already loaded, unless --refresh is given. Prints the logins."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--refresh", action="store_true", help="Delete and rebuild the demo data."
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["refresh"] and is_loaded():
            self.stdout.write("Removing the old demo clinics…")
            remove_demo()
        if is_loaded():
            self.stdout.write("Demo clinics already loaded (use --refresh to rebuild).")
        else:
            self.stdout.write("Loading demo clinics…")
            load_demo(progress=lambda text: self.stdout.write(f"  {text}"))
        live = live_demo_clinic()
        if live is not None:
            staged = stage_live_chairs(live)
            self.stdout.write(f"Chair board: {len(staged)} sessions in progress at {live.name}.")
        if not options["quiet"]:
            self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
            for email, role, clinic in demo_logins():
                self.stdout.write(f"  {email:<28} {role:<22} {clinic}")
