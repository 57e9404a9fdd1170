"""The demo story's matching chapter (see extensions.py)."""

from __future__ import annotations

from .extensions import DemoContext


def replay(ctx: DemoContext) -> None:
    """Not written yet: the matching engineer fills it in."""
