"""Default settings: what `kindred demo` and `kindred serve` run with (DEBUG stays off unless asked)."""

from .base import *  # noqa: F403
