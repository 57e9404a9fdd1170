"""Events other apps may react to without the circles app knowing them (defined in kindred.core.events)."""

from kindred.core.events import member_joined

__all__ = ["member_joined"]
