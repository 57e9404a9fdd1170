from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kindred.circles.models import Membership


@pytest.fixture
def trio(make_member: Callable[..., Membership]) -> dict[str, Any]:
    """A (collector) and B (tech team) were both invited by C (their connector); A and B do not know each other."""
    c = make_member("conn", display_name="连接人", offers="资源对接", needs="新项目")
    a = make_member(
        "collector",
        sponsor=c,
        display_name="沈砚秋",
        offers="收藏，场地",
        needs="技术团队做小程序",
        email="a@example.com",
        email_visibility="ties",
        wechat="wx_collector",
        wechat_visibility="nobody",
    )
    b = make_member(
        "tech",
        sponsor=c,
        display_name="宋知行",
        offers="小程序开发，技术团队",
        needs="文娱行业的产品项目",
        email="b@example.com",
        email_visibility="ties",
    )
    return {"a": a, "b": b, "c": c}
