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


@db_task()
def topic_model_learn(circle_id: int) -> None:
    """Learn the circle's topicality model from its cards, the taxonomy and its on-topic messages (about a
    second), then label the messages posted before there was a model. Posts meanwhile use the last model."""
    from . import services

    try:
        model = selectors.topic_model_learn(circle_id=circle_id)
        services.topic_labels_backfill(circle_id=circle_id, model=model)
    finally:
        cache.delete(selectors.topic_learning_key(circle_id))
