"""`kindred demo`: migrate, load the demo circle 新文娱产业群 (once), print the logins, serve."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from kindred.core.management.commands.serve import check_static

from ...loader import DEMO_PASSWORD, DEMO_SLUG, demo_load


class Command(BaseCommand):
    help = "Load the demo circle 新文娱产业群 (idempotent), print the demo logins and serve Kindred."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--no-serve", action="store_true", help="load the demo and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_serve"]:
            check_static()  # fail before the work, not after it
        call_command("migrate", interactive=False, verbosity=0)
        result = demo_load()
        out = self.stdout
        if result.created:
            out.write(f"Loaded the demo circle 新文娱产业群 in {result.seconds:.1f} s.")
        else:
            out.write("The demo circle 新文娱产业群 is already loaded (nothing changed).")
        host = "127.0.0.1" if options["host"] in ("0.0.0.0", "::") else options["host"]  # noqa: S104
        base = f"http://{host}:{options['port']}"
        out.write(f"\n  {result.active_members} active members: {base}/c/{DEMO_SLUG}/")
        out.write(f"  Sign in at {base}/accounts/login/ with password 密码: {DEMO_PASSWORD}\n")
        width = max(len(login.username) for login in result.logins)
        for login in result.logins:
            out.write(f"    {login.username.ljust(width)}  {login.who}")
        if result.open_invitation_path:
            out.write(
                f"\n  An invitation link waiting to be used (韩露): {base}{result.open_invitation_path}"
            )
        out.write("")
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"], workers=1)
