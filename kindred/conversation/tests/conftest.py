"""A small circle for the conversation: the organizer 老周, a PPT designer, a film distributor, a collector,
and an admin; another circle with its own message (for replies across circles)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User

from kindred.circles.models import Membership
from kindred.circles.services import card_update, circle_create
from kindred.conversation import live
from kindred.conversation.models import Message
from kindred.conversation.services import message_post


@dataclass
class Cast:
    origin: Membership  # the organizer
    designer: Membership
    distributor: Membership
    collector: Membership
    admin: Membership
    elsewhere: Message  # a message of another circle


@pytest.fixture
def cast(origin: Membership, make_member: Callable[..., Membership], make_user: Callable[..., User]) -> Cast:
    designer = make_member("designer", display_name="小美", offers="PPT设计、路演材料、品牌视觉")
    card_update(membership=designer, fields={}, offer_tags=["PPT", "设计"])
    distributor = make_member("distributor", display_name="发行老李", offers="影视发行、院线排片")
    collector = make_member("collector", display_name="收藏家", offers="古董收藏鉴定")
    admin = make_member("admin1", display_name="管理员", role=Membership.Role.ADMIN)
    other = circle_create(creator=make_user("other_org"), name="别的群", slug="other", display_name="外人")
    stranger = Membership.objects.get(circle=other)
    elsewhere = message_post(author=stranger, text="别的群的消息").message
    return Cast(origin, designer, distributor, collector, admin, elsewhere)


@pytest.fixture
def frames(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, dict[str, Any]]]:
    """What the conversation publishes to live delivery (the hook, recorded)."""
    seen: list[tuple[int, dict[str, Any]]] = []
    monkeypatch.setattr(live, "publish", lambda circle_id, frame: seen.append((circle_id, frame)))
    return seen
