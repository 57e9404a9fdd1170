"""Later chapters of the demo story, replayed after the circle's growth (members, nominations, ties).

Each domain adds one module here (kindred/demo/wallet.py, matching.py, meetups.py) with
`replay(ctx: DemoContext) -> None`, which writes its part of the story through its own services,
back-dated with `at=` to the story's timeline. They run in the order of CHAPTERS, inside the loader's
transaction, only when the demo circle is first loaded.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kindred.circles.models import Circle, Membership

from .story import Story


@dataclass
class DemoContext:
    circle: Circle
    story: Story
    # Every membership of the story by username, the organizer's included (a removed one too).
    members: dict[str, Membership]

    def rng(self, chapter: str) -> random.Random:
        """A generator seeded per chapter, so one chapter's draws never shift another's."""
        return random.Random(f"kindred-demo-{chapter}")

    def present_at(self, at: datetime) -> list[Membership]:
        """The members who had joined by `at` and were active then (the removed one until removal)."""
        return [
            m
            for m in self.members.values()
            if m.joined_at <= at and (m.removed_at is None or m.removed_at > at)
        ]


def _chapters() -> list[Callable[[DemoContext], None]]:
    from . import conversation, matching, meetups, wallet

    # The conversation last: its stream carries the other chapters' envelopes, dinners, deals and intros.
    return [wallet.replay, meetups.replay, matching.replay, conversation.replay]


def replay_chapters(ctx: DemoContext) -> None:
    for chapter in _chapters():
        chapter(ctx)
