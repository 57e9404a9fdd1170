"""Fixtures for the meetups tests: a few members in 上海 and 北京, and a dinner next week."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kindred.circles.models import Circle, Membership
from kindred.meetups.models import Meetup
from kindred.meetups.services import meetup_create

SHANGHAI = ZoneInfo("Asia/Shanghai")


def next_week(hour: int = 19) -> datetime:
    day = timezone.localdate() + timedelta(days=7)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def alice(make_member: Callable[..., Membership]) -> Membership:
    return make_member("alice", display_name="王爱丽", company="星河影业", city="上海", offers="短剧发行")


@pytest.fixture
def bob(make_member: Callable[..., Membership]) -> Membership:
    return make_member("bob", display_name="李博", company="山海音乐", city="上海", needs="找投资")


@pytest.fixture
def carol(make_member: Callable[..., Membership]) -> Membership:
    return make_member("carol", display_name="陈可", city="北京")


@pytest.fixture
def dinner(circle: Circle, origin: Membership) -> Callable[..., Meetup]:
    def make(**kw: object) -> Meetup:
        start = kw.pop("starts_at", None) or next_week()
        args: dict[str, object] = {
            "circle": circle,
            "host": origin,
            "title": "上海饭局, 第一次",
            "city": "上海",
            "venue": "外滩, 三楼",
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),  # type: ignore[operator]
        }
        args.update(kw)
        return meetup_create(**args)  # type: ignore[arg-type]

    return make
