"""When someone joins, each reviewer who imported contacts is told how many of them share the newcomer's
trade (the organizer pulls in friends whose business overlaps a newcomer's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kindred.circles.models import Membership
from kindred.matching import services
from kindred.notifications.models import Notification

pytestmark = pytest.mark.django_db

VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:陈短视\r\nN:陈;短视;;;\r\nORG:快剪短视频工作室\r\n"
    "TITLE:短视频 发行 负责人\r\nEMAIL:chen.dsp@example.com\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:刘律师\r\nN:刘;律师;;;\r\nORG:明理律所\r\nTITLE:知识产权律师\r\n"
    "EMAIL:liu.law@example.com\r\nEND:VCARD\r\n"
)


def test_a_newcomer_in_short_video_brings_a_growth_notice(
    origin: Membership,
    make_member: Callable[..., Membership],
    django_capture_on_commit_callbacks: Any,
) -> None:
    services.contacts_import(owner=origin.user, filename="mine.vcf", data=VCARD.encode())
    with django_capture_on_commit_callbacks(execute=True):
        make_member(display_name="新人", offers="做短视频发行，覆盖抖音快手")
    notice = Notification.objects.filter(recipient=origin, kind="matching.growth").latest("id")
    assert notice.params == {"count": 1, "member": "新人"}


def test_nobody_without_contacts_is_notified(
    origin: Membership, make_member: Callable[..., Membership], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        make_member(display_name="新人", offers="做短视频发行")
    assert not Notification.objects.filter(kind="matching.growth").exists()


def test_a_back_dated_replay_sends_no_event(
    origin: Membership, make_user: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    from kindred.circles.services import membership_create

    services.contacts_import(owner=origin.user, filename="mine.vcf", data=VCARD.encode())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        membership_create(
            circle=origin.circle,
            user=make_user(),
            sponsor=origin,
            joined_at=timezone.now(),
            card_fields={"display_name": "回放", "offers": "做短视频发行"},
        )
    # Only the matches' recompute is queued (the card changed); no joining event, no growth suggestions.
    assert {c.__module__ for c in callbacks} <= {"kindred.matching.apps", "kindred.matching.services"}
    assert not Notification.objects.filter(kind="matching.growth").exists()
