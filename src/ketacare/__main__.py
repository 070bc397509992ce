"""The `ketacare` command (also `python -m ketacare`): operator commands over Django's."""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "serve": "Run the production web server (gunicorn): --host, --port, --workers.",
    "migrate": "Create or upgrade the database schema (DATABASE_URL, default SQLite under var/).",
    "demo": "Load the demo clinics, staff and synthetic patients (--refresh to rebuild them).",
    "createuser": "Create a staff user: --email --password --clinic NAME --role ROLE.",
    "token": "API tokens: 'token create --user EMAIL [--clinic NAME]', 'token revoke PREFIX'.",
    "audit": "Audit log: 'audit verify' checks the hash chain; 'audit export' writes CSV.",
    "benchdata": "Generate a large synthetic clinic for benchmarks (--patients N).",
    "worker": "Run background tasks: schedule, questionnaire links, reminders, delivery.",
}

USAGE = """usage: ketacare COMMAND [options]

Commands:
{commands}

'ketacare COMMAND --help' explains a command's options.
Every Django management command (e.g. 'ketacare check', 'ketacare shell') also works.
The database is chosen by DATABASE_URL (default: SQLite under var/).
"""


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        listing = "\n".join(f"  {name:<11} {text}" for name, text in COMMANDS.items())
        print(USAGE.format(commands=listing))
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ketacare", *argv[1:]])


if __name__ == "__main__":
    main()
