"""The `kindred` command: Django's manage.py with Kindred's settings preset.

`kindred demo`, `kindred serve` (web server with an in-process background worker), `kindred worker` (the
background worker alone) and `kindred periodic` are management commands of the core app.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kindred", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
