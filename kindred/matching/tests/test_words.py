"""Words on matching pages in the reader's language (issue 8, item 11): shared trades named in English on
English pages and in Chinese on Chinese pages; no English left on Chinese pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation

from kindred.circles.models import Membership
from kindred.circles.services import card_update
from kindred.matching import services

pytestmark = pytest.mark.django_db


def test_same_trade_is_named_in_the_readers_language(make_member: Callable[..., Membership]) -> None:
    a = make_member("fa", display_name="甲", offers="剧本开发", needs="找制片")
    b = make_member("fb", display_name="乙", offers="制片", needs="好剧本")
    for m in (a, b):
        card_update(membership=m, fields={}, industry_codes=["film-tv"])
    services.matches_fresh(circle=a.circle)  # the background worker's recompute
    client = Client()
    client.force_login(a.user)
    zh = client.get("/c/xinwenyu/matches/").content.decode()
    assert "乙" in zh and "同行业：" in zh and "影视" in zh
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    en = client.get("/c/xinwenyu/matches/", headers={"accept-language": "en"}).content.decode()
    assert "Same trade: Film and TV" in en
    assert "影视" not in en


def test_an_introduced_tie_reads_chinese_on_chinese_pages() -> None:
    from kindred.ties.models import Tie

    with translation.override("zh-hans"):
        assert str(Tie.Kind.INTRODUCED.label) != "Introduced in the circle"
