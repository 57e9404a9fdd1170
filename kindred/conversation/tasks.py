"""The conversation's background work (found by kindred.core.tasks.tasks_discover)."""

from __future__ import annotations

from django.core.cache import cache

from kindred.core.tasks import db_task

from . import selectors


@db_task()
def route_model_learn(circle_id: int) -> None:
    """Learn the circle's router weights from its asks (seconds for hundreds): asks posted meanwhile use the
    weights learned before."""
    try:
        selectors.route_model_learn(circle_id=circle_id)
    finally:
        cache.delete(selectors.route_learning_key(circle_id))
