"""Fixtures of the invitations tests: a nomination made through the service, with defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kindred.circles.models import Membership
from kindred.invitations.models import Nomination
from kindred.invitations.services import nomination_create


@pytest.fixture
def nominate() -> Callable[..., Nomination]:
    def make(nominator: Membership, **overrides: Any) -> Nomination:
        fields: dict[str, Any] = {
            "name": "林晓",
            "email": "linxiao@example.com",
            "relationship": Nomination.Relationship.COLLEAGUE,
            "years_known": 6,
            "closeness": 4,
            "reason": "做短视频发行十年，和我们的影视项目上下游紧密相关。",
            "draft_card": {
                "company": "晓光传媒",
                "title": "发行总监",
                "city": "上海",
                "offers": "短视频发行",
            },
        }
        fields.update(overrides)
        return nomination_create(circle=nominator.circle, nominator=nominator, **fields)

    return make
