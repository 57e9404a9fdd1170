"""A small Kindred world in a SQLite FILE database, driven from a separate process.

The SQLite tests that need real concurrency (8 writer threads; `kindred serve` killed with SIGKILL) cannot
use pytest's in-memory test database: an in-memory database is private to one connection, so threads
would not share it, and a server subprocess cannot see it at all. These tests therefore run this module in
a subprocess with KINDRED_DATA_DIR pointing at a temporary directory (its own kindred.sqlite3 file, WAL,
IMMEDIATE transactions: the production configuration) and read its JSON answer on stdout:

    python -m kindred.wallet.tests.fileworld setup MEMBERS     # circle, members, wallets, API tokens
    python -m kindred.wallet.tests.fileworld writers THREADS   # concurrent top-ups, sends and grabs
    python -m kindred.wallet.tests.fileworld check             # ledger verify, and every grab on record
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

SLUG = "filecircle"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings.test")
    import django

    django.setup()


def setup(members: int) -> dict[str, Any]:
    from django.contrib.auth.models import User

    from kindred.accounts.services import token_create
    from kindred.circles.models import Membership
    from kindred.circles.services import circle_create, membership_create
    from kindred.wallet.services import topup_create

    organizer = User.objects.create_user(username="fw_organizer", password="x" * 12)
    circle = circle_create(creator=organizer, name="文件圈", slug=SLUG, display_name="组织者")
    origin = Membership.objects.get(circle=circle, sponsor__isnull=True)
    tokens = []
    for i in range(members):
        user = User.objects.create_user(username=f"fw_{i}", password="x" * 12)
        membership_create(circle=circle, user=user, sponsor=origin, role="member", card_fields=None)
        topup_create(user=user, amount_fen=1_000_000, reference=f"fw-seed-{i}")
        tokens.append(token_create(user=user, name="fileworld")[1])
    return {"slug": SLUG, "tokens": tokens}


def writers(threads: int, rounds: int = 12) -> dict[str, Any]:
    """Each thread is a member: tops up, sends a small envelope, grabs every open envelope of others."""
    from django.db import OperationalError, connection

    from kindred.circles.models import Membership
    from kindred.core.services import ServiceError
    from kindred.wallet.models import Envelope
    from kindred.wallet.services import envelope_grab, envelope_send, topup_create

    members = list(
        Membership.objects.filter(circle__slug=SLUG, sponsor__isnull=False).order_by("id")[:threads]
    )
    barrier = threading.Barrier(len(members))
    locked: list[str] = []
    other_errors: list[str] = []
    grabs = [0]
    lock = threading.Lock()

    def work(me: Membership) -> None:
        try:
            barrier.wait()
            for r in range(rounds):
                try:
                    topup_create(user=me.user, amount_fen=500, reference=f"fw-{me.pk}-{r}")
                    envelope_send(sender=me, total_fen=400, shares=4, mode="lucky")
                    for env in Envelope.objects.filter(circle_id=me.circle_id, status="open").exclude(
                        sender=me
                    ):
                        try:
                            envelope_grab(envelope=env, member=me)
                            with lock:
                                grabs[0] += 1
                        except ServiceError:
                            pass  # already grabbed, or empty: expected under contention
                except OperationalError as exc:
                    with lock:
                        (locked if "locked" in str(exc) else other_errors).append(str(exc))
        finally:
            connection.close()

    pool = [threading.Thread(target=work, args=(m,)) for m in members]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return {"locked": locked, "errors": other_errors, "grabs": grabs[0]}


def check() -> dict[str, Any]:
    from kindred.wallet.models import Payment, Share
    from kindred.wallet.verify import ledger_verify

    grabs = [
        [env, share, amount, user]
        for env, share, amount, user in Share.objects.filter(claimed_by__isnull=False).values_list(
            "envelope_id", "id", "amount_fen", "claimed_by__user__username"
        )
    ]
    return {
        "problems": ledger_verify(),
        "grabs": grabs,
        "topups": list(Payment.objects.filter(direction="in").values_list("reference", flat=True)),
    }


def main(argv: list[str]) -> None:
    _django()
    command, *args = argv
    if command == "setup":
        out = setup(int(args[0]))
    elif command == "writers":
        out = writers(int(args[0]))
    elif command == "check":
        out = check()
    else:
        raise SystemExit(f"unknown command {command}")
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
