"""The organizer's settings page of the conversation: slow mode, posted as the page renders it (no
JavaScript), for the organizer and admins only; bad values refused in Chinese with nothing changed."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from kindred.conversation.audit import Action
from kindred.conversation.models import Stream
from kindred.conversation.services import slow_mode_set
from kindred.core.models import AuditEvent
from tests.forms import form_body, form_fields

from .conftest import Cast
from .test_views import FORM, client_of

pytestmark = pytest.mark.django_db

FORM_ID = "slow-mode-form"


def settings_url(cast: Cast) -> str:
    return reverse("conversation:settings", args=[cast.origin.circle.slug])


def post_url(cast: Cast) -> str:
    return reverse("conversation:slow_mode", args=[cast.origin.circle.slug])


def slow_mode(cast: Cast) -> int:
    return (
        Stream.objects.filter(circle=cast.origin.circle).values_list("slow_mode_seconds", flat=True).first()
        or 0
    )


def audits() -> int:
    return AuditEvent.objects.filter(action=Action.SLOW_MODE_SET).count()


def offered(page: str) -> list[str]:
    """The values the page's slow-mode select offers."""
    select = re.search(r'<select name="slow_mode_seconds".*?</select>', page, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)"', select.group(0))


def choose(page: str, value: str) -> str:
    """The form as rendered, with one of its offered intervals chosen."""
    assert value in offered(page)
    fields = [(k, value if k == "slow_mode_seconds" else v) for k, v in form_fields(page, FORM_ID)]
    return urlencode(fields)


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_the_form_as_rendered_turns_slow_mode_on_and_off_with_an_audit_row(cast: Cast, role: str) -> None:
    me = cast.origin if role == "organizer" else cast.admin
    c = client_of(me)
    page = c.get(settings_url(cast)).content.decode()
    assert page.count("<h1") == 1
    assert offered(page) == ["0", "30", "60", "300", "600"]
    assert "慢速模式已关闭" in page

    r = c.post(post_url(cast), choose(page, "300"), content_type=FORM)
    assert r.status_code == 302 and r["Location"] == settings_url(cast)
    assert slow_mode(cast) == 300
    event = AuditEvent.objects.get(action=Action.SLOW_MODE_SET)
    assert event.actor_id == me.user_id and event.circle_id == me.circle_id
    assert event.data == {"from": 0, "to": 300}

    page = c.get(settings_url(cast)).content.decode()
    assert "慢速模式已保存。" in page
    assert "慢速模式已开启：成员每 5 分钟最多发言一次。" in page
    assert form_fields(page, FORM_ID)[-1] == ("slow_mode_seconds", "300")  # the current value is selected

    # Submitted again unchanged: nothing to change, nothing audited.
    r = c.post(post_url(cast), form_body(page, FORM_ID), content_type=FORM)
    assert r.status_code == 302 and slow_mode(cast) == 300 and audits() == 1

    r = c.post(post_url(cast), choose(page, "0"), content_type=FORM)
    assert r.status_code == 302 and slow_mode(cast) == 0 and audits() == 2


def test_a_value_set_through_the_api_is_shown_and_kept(cast: Cast) -> None:
    slow_mode_set(moderator=cast.origin, seconds=45)
    c = client_of(cast.origin)
    page = c.get(settings_url(cast)).content.decode()
    assert "45" in offered(page) and "成员每 45 秒最多发言一次" in page
    r = c.post(post_url(cast), form_body(page, FORM_ID), content_type=FORM)
    assert r.status_code == 302 and slow_mode(cast) == 45 and audits() == 1


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("7", "请从列出的间隔中选择一个。"),
        ("-30", "请从列出的间隔中选择一个。"),
        ("86401", "请从列出的间隔中选择一个。"),
        ("5分钟", "请从列出的间隔中选择一个。"),
        ("30\x00", "请从列出的间隔中选择一个。"),
        ("", "这个字段是必填项。"),
    ],
)
def test_bad_values_are_refused_in_chinese_and_change_nothing(cast: Cast, value: str, error: str) -> None:
    slow_mode_set(moderator=cast.origin, seconds=30)
    before = AuditEvent.objects.count()
    c = client_of(cast.origin)
    page = c.get(settings_url(cast)).content.decode()
    fields = [(k, value if k == "slow_mode_seconds" else v) for k, v in form_fields(page, FORM_ID)]
    r = c.post(post_url(cast), urlencode(fields), content_type=FORM)
    assert r.status_code == 400
    body = r.content.decode()
    assert error in body and body.count("<h1") == 1
    assert slow_mode(cast) == 30 and AuditEvent.objects.count() == before


def test_a_member_gets_404_and_changes_nothing(cast: Cast) -> None:
    c = client_of(cast.designer)
    assert c.get(settings_url(cast)).status_code == 404
    r = c.post(post_url(cast), {"slow_mode_seconds": "600"})
    assert r.status_code == 404
    assert slow_mode(cast) == 0 and audits() == 0


def test_the_home_and_the_health_page_link_the_settings_for_moderators_only(cast: Cast) -> None:
    home = reverse("conversation:home", args=[cast.origin.circle.slug])
    link = f'href="{settings_url(cast)}"'
    health = client_of(cast.origin).get(reverse("health:page", args=[cast.origin.circle.slug]))
    assert link in health.content.decode()
    assert link in client_of(cast.origin).get(home).content.decode()
    assert link in client_of(cast.admin).get(home).content.decode()
    assert link not in client_of(cast.designer).get(home).content.decode()
