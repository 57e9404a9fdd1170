"""The demo story's wallet chapter (see extensions.py)."""

from __future__ import annotations

from .extensions import DemoContext


def replay(ctx: DemoContext) -> None:
    """Not written yet: the wallet engineer fills it in."""
