"""`kindred worker`: the background worker apart from the web server (production, several machines).

Huey's own consumer (djhuey's `run_huey`) with Kindred's settings: threads, periodic tasks on. Run
`kindred serve --no-worker` beside it so the server does not run a second one.
"""

from __future__ import annotations

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = "Run the background worker (tasks after commits, periodic tasks) apart from the web server."
