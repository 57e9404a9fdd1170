"""The demo story's meetups chapter (see extensions.py)."""

from __future__ import annotations

from .extensions import DemoContext


def replay(ctx: DemoContext) -> None:
    """Not written yet: the meetups engineer fills it in."""
