"""Topicality, Django-free: on_topic, chatter (水) or off_industry (杂) for the circle's own trade (engine.py)."""

from .engine import (
    CHATTER,
    JUDGED_KINDS,
    LABELS,
    NUDGE_PROBABILITY,
    OFF_INDUSTRY,
    ON_TOPIC,
    Card,
    Industry,
    Model,
    Trade,
    Verdict,
    build,
    judge_all,
    nudges,
)

__all__ = [
    "CHATTER",
    "JUDGED_KINDS",
    "LABELS",
    "NUDGE_PROBABILITY",
    "OFF_INDUSTRY",
    "ON_TOPIC",
    "Card",
    "Industry",
    "Model",
    "Trade",
    "Verdict",
    "build",
    "judge_all",
    "nudges",
]
