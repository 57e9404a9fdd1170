"""Ask routing, Django-free: who in the circle is most likely to catch an ask (see engine.py)."""

from .engine import Answer, Ask, Profile, Ranked, Reason, Router

__all__ = ["Answer", "Ask", "Profile", "Ranked", "Reason", "Router"]
