"""`kindred serve`: collect static files, then run Kindred under uvicorn (ASGI), DEBUG off.

The background worker (kindred/core/tasks.py) runs in this process by default: worker threads and the
periodic scheduler start before uvicorn and stop when it returns (Ctrl-C, SIGTERM). `--no-worker` leaves
the work to `kindred worker` processes.

WebSockets (the circle's live conversation) run in the same server: uvicorn's websockets implementation, pinging
every socket so a dead connection is closed. Several workers need a channel layer they share (Redis, REDIS_URL):
with the in-memory layer each worker would see only its own sockets and silently split every circle, so
`--workers N` > 1 without REDIS_URL is refused.

WhiteNoise serves the collected, hashed and compressed static files from STATIC_ROOT; the manifest
storage needs collectstatic to have run, and htmx must be there (`make assets` copies it).
"""

from __future__ import annotations

import os
import signal
import warnings
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

ASGI_APP = "kindred.asgi:application"
WS_PING_SECONDS = 20.0  # uvicorn pings every socket this often and closes it when no pong comes in as long
REQUIRED_STATIC = ("vendor/htmx.min.js", "kindred/kindred.css")
# WhiteNoise answers with a file iterator Django reads in a thread under ASGI, and says so once per
# process. Static files are small and hashed (cached for good by browsers): the note is noise.
STATIC_STREAM_NOTE = "StreamingHttpResponse must consume synchronous iterators"


def check_static() -> None:
    """Refuse to start without the files every page links to (the manifest storage would fail each page)."""
    missing = [path for path in REQUIRED_STATIC if not finders.find(path)]
    if missing:
        raise CommandError(
            f"Missing static files: {', '.join(missing)}. Run `make assets` first "
            "(it copies htmx from node_modules into kindred/static/vendor/). "
            "缺少静态文件，请先运行 make assets。"
        )


def check_live(workers: int) -> None:
    """WebSockets need an implementation in uvicorn, and several workers need a shared channel layer."""
    from channels.layers import InMemoryChannelLayer, get_channel_layer

    try:
        import websockets  # noqa: F401
    except ImportError as exc:
        raise CommandError(
            "uvicorn has no WebSocket implementation: install the `websockets` package "
            "(pip install -e .). 缺少 websockets 包，实时消息无法工作。"
        ) from exc
    if workers > 1 and isinstance(get_channel_layer(), InMemoryChannelLayer):
        raise CommandError(
            f"--workers {workers} needs a shared channel layer: set REDIS_URL (e.g. redis://127.0.0.1:6379/0) "
            "or run one worker. Without it each worker would deliver a circle's messages only to its own "
            "sockets. 多个 worker 需要共享的 channel layer：请设置 REDIS_URL，或只用一个 worker。"
        )


def prepare() -> None:
    """Everything `serve` does before the server starts: check, then collect static files quietly."""
    check_static()
    call_command("collectstatic", interactive=False, verbosity=0)


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


class Command(BaseCommand):
    help = "Serve Kindred under uvicorn (ASGI), static files through WhiteNoise, DEBUG off."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
        parser.add_argument(
            "--no-worker",
            action="store_false",
            dest="background",
            help="do not run the background worker in this process (run `kindred worker` apart)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        check_live(options["workers"])
        prepare()
        warnings.filterwarnings("ignore", message=STATIC_STREAM_NOTE)
        # Worker processes are spawned afresh: they read their warning filters from the environment.
        os.environ["PYTHONWARNINGS"] = ",".join(
            filter(None, [os.environ.get("PYTHONWARNINGS", ""), f"ignore:{STATIC_STREAM_NOTE}"])
        )
        if settings.DEBUG:
            self.stderr.write("Warning: DEBUG is on; unset DEBUG for anything but local debugging.")
        self.stdout.write(
            f"Kindred on http://{options['host']}:{options['port']}/ "
            f"({options['workers']} worker{'s' if options['workers'] > 1 else ''}); Ctrl-C stops it."
        )
        self.stdout.flush()
        consumer = None
        if options["background"]:
            # Deferred and timed work of every app: threads in this process, whatever the number of workers.
            from kindred.core.tasks import consumer_start

            consumer = consumer_start()
            self.stdout.write("Background worker started (threads, periodic tasks on).")
            self.stdout.flush()
            # uvicorn shuts down on SIGTERM, then raises it again once it has returned: let that unwind
            # through the `finally` below (the worker stops) instead of ending the process on the spot.
            signal.signal(signal.SIGTERM, _exit_cleanly)
        try:
            # Django has no ASGI lifespan: turn it off instead of logging that it is unsupported.
            uvicorn.run(
                ASGI_APP,
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                lifespan="off",
                ws="websockets-sansio",
                ws_ping_interval=WS_PING_SECONDS,
                ws_ping_timeout=WS_PING_SECONDS,
                log_level="info",
                access_log=False,
            )
        finally:
            if consumer is not None:
                from kindred.core.tasks import consumer_stop

                consumer_stop(consumer)
                self.stdout.write("Background worker stopped.")
                self.stdout.flush()
