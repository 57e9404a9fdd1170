"""Notifications: sending writes the inbox and the outbox in the caller's transaction (a rolled-back send
leaves nothing and mails nothing); mail goes out after commit, batched per recipient, immediate or in the
digest by kind and preference, once; the inbox reads in constant queries in the reader's language; the API,
the inbox page and the bell."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from smtplib import SMTPException
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template import Context, Template
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import Membership
from kindred.core.models import AuditEvent
from kindred.core.services import ServiceError
from kindred.notifications import outbox, selectors, services
from kindred.notifications.kinds import KINDS, MailPolicy, kind_register
from kindred.notifications.models import OUTBOX_MAX_ATTEMPTS, MailPreference, Notification, Outbox

pytestmark = pytest.mark.django_db
HERE = Path(__file__).parent

ASKED = kind_register("tests.asked", text=_("%(actor)s asks: %(question)s"), mail=MailPolicy.IMMEDIATE)
POSTED = kind_register("tests.posted", text=_("%(actor)s posted %(title)s"), mail=MailPolicy.DIGEST)
QUIET = kind_register("tests.quiet", text="%(actor)s did something quiet", mail=MailPolicy.NEVER)


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses everything."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise SMTPException("550 refused")


@pytest.fixture(autouse=True)
def _kind_templates(settings: Any) -> None:
    """The test kinds' mail templates live beside this file."""
    engine = dict(settings.TEMPLATES[0])
    engine["DIRS"] = [*engine["DIRS"], HERE / "templates"]
    settings.TEMPLATES = [engine]


@pytest.fixture
def trio(make_member: Callable[..., Membership]) -> tuple[Membership, Membership, Membership]:
    return (
        make_member("alice", display_name="王爱丽"),
        make_member("bob", display_name="李博"),
        make_member("carol", display_name="陈可"),
    )


def _send(
    actor: Membership, to: list[Membership], kind: str = "tests.asked", **params: Any
) -> list[Notification]:
    return services.notification_send(
        recipients=to,
        kind=kind,
        circle=actor.circle,
        actor=actor,
        params=params or {"question": "谁懂短剧发行？", "title": "新项目"},
        url=f"/c/{actor.circle.slug}/",
    )


def test_send_writes_inbox_rows_for_everyone_but_the_actor_and_mails_immediate_kinds_after_commit(
    trio: tuple[Membership, Membership, Membership], django_capture_on_commit_callbacks: Any
) -> None:
    alice, bob, carol = trio
    with django_capture_on_commit_callbacks(execute=True):
        rows = _send(alice, [alice, bob, carol])
        assert mail.outbox == []  # nothing leaves before the commit
    assert sorted(r.recipient_id for r in rows) == sorted([bob.pk, carol.pk])
    assert {r.actor_id for r in rows} == {alice.pk}
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.com", "carol@example.com"]
    assert "王爱丽" in mail.outbox[0].subject
    assert "谁懂短剧发行？" in mail.outbox[0].body
    assert Outbox.objects.filter(state=Outbox.State.SENT).count() == 2


def test_a_rolled_back_send_writes_nothing_and_sends_nothing(
    trio: tuple[Membership, Membership, Membership], django_capture_on_commit_callbacks: Any
) -> None:
    alice, bob, _carol = trio
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _send(alice, [bob])
        raise RuntimeError("the change it told about was refused")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not Outbox.objects.exists()
    assert mail.outbox == []


def test_digest_kinds_wait_for_the_daily_digest_one_mail_per_recipient_sent_once(
    trio: tuple[Membership, Membership, Membership], django_capture_on_commit_callbacks: Any
) -> None:
    alice, bob, carol = trio
    with django_capture_on_commit_callbacks(execute=True):
        _send(alice, [bob, carol], kind="tests.posted", title="短剧A")
        _send(carol, [bob], kind="tests.posted", title="短剧B")
    assert mail.outbox == []
    assert Outbox.objects.filter(state=Outbox.State.PENDING, immediate=False).count() == 3
    assert outbox.outbox_send(digest=True) == 2  # bob's two in one mail, carol's one
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {"bob@example.com", "carol@example.com"}
    assert "短剧A" in by_to["bob@example.com"].body and "短剧B" in by_to["bob@example.com"].body
    assert "2" in by_to["bob@example.com"].subject
    # Once only: a second digest (or a second worker) finds nothing to send.
    assert outbox.outbox_send(digest=True) == 0
    assert len(mail.outbox) == 2


def test_preference_immediate_mails_digest_kinds_at_once_and_off_mails_nothing(
    trio: tuple[Membership, Membership, Membership], django_capture_on_commit_callbacks: Any
) -> None:
    alice, bob, carol = trio
    services.mail_preference_set(member=bob, mode=MailPreference.Mode.IMMEDIATE)
    services.mail_preference_set(member=carol, mode=MailPreference.Mode.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        _send(alice, [bob, carol], kind="tests.posted", title="短剧A")
        _send(alice, [bob, carol])  # immediate kind: still nothing to carol
    # Both reach bob at the commit, batched in one mail; carol gets none.
    assert [m.to[0] for m in mail.outbox] == ["bob@example.com"]
    assert "短剧A" in mail.outbox[0].body and "谁懂短剧发行？" in mail.outbox[0].body
    assert not Outbox.objects.filter(user=carol.user).exists()
    assert Notification.objects.filter(recipient=carol).count() == 2  # the inbox still has it
    assert AuditEvent.objects.filter(action="notifications.mail_preference").count() == 2


def test_inbox_only_kinds_and_email_false_queue_no_mail(
    trio: tuple[Membership, Membership, Membership],
) -> None:
    alice, bob, _carol = trio
    _send(alice, [bob], kind="tests.quiet")
    services.notification_send(recipients=[bob], kind="tests.asked", circle=alice.circle, email=False)
    assert Notification.objects.filter(recipient=bob).count() == 2
    assert not Outbox.objects.exists()


def test_a_refused_mail_is_retried_then_failed_and_never_sent_twice(
    trio: tuple[Membership, Membership, Membership], settings: Any
) -> None:
    alice, bob, _carol = trio
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    _send(alice, [bob])  # no commit hook here: the worker's sweep sends it
    for attempt in range(1, OUTBOX_MAX_ATTEMPTS + 1):
        assert outbox.outbox_send() == 0
        row = Outbox.objects.get()
        assert row.attempts == attempt
        assert "550" in row.last_error
    assert row.state == Outbox.State.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.outbox_send(digest=True) == 0
    assert mail.outbox == []


def test_unknown_kinds_and_strangers_are_refused(
    trio: tuple[Membership, Membership, Membership], make_user: Callable[..., Any]
) -> None:
    from kindred.circles.services import circle_create

    alice, bob, _carol = trio
    with pytest.raises(ValueError, match="unknown"):
        services.notification_send(recipients=[bob], kind="tests.nope", circle=alice.circle)
    other = circle_create(creator=make_user("zhou2"), name="别的群", slug="other", display_name="周")
    stranger = Membership.objects.get(circle=other)
    with pytest.raises(ValueError, match="not members"):
        services.notification_send(recipients=[stranger], kind="tests.asked", circle=alice.circle)
    assert not Notification.objects.exists()


def test_every_registered_kind_has_a_mail_template() -> None:
    from django.template.loader import get_template

    for kind in KINDS.values():
        if kind.mail != MailPolicy.NEVER:
            get_template(kind.template)


def test_unread_count_is_one_query_and_the_inbox_constant_queries(
    trio: tuple[Membership, Membership, Membership], django_assert_num_queries: Any
) -> None:
    alice, bob, carol = trio
    _send(alice, [bob])
    with django_assert_num_queries(1):
        assert selectors.unread_count(member=bob) == 1
    with django_assert_num_queries(1):
        assert len(selectors.inbox(member=bob)) == 1
    for _i in range(5):
        _send(alice, [bob], kind="tests.posted", title="x")
        _send(carol, [bob])
    with django_assert_num_queries(1):
        items = selectors.inbox(member=bob)
    assert len(items) == 11
    with django_assert_num_queries(1):
        assert selectors.unread_count(member=bob) == 11


def _orm_inbox(member: Membership, *, before_id: int | None, app: str, unread_only: bool) -> list[tuple]:
    """What the inbox read through the ORM (before it was one hand-written query)."""
    rows = Notification.objects.filter(recipient=member).select_related("actor__card")
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    if app:
        rows = rows.filter(kind__startswith=f"{app}.")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return [
        (
            n.pk,
            n.kind,
            n.params,
            n.url,
            n.target_type,
            n.target_id,
            n.created_at,
            n.read_at is not None,
            n.actor.card.display_name if n.actor is not None and hasattr(n.actor, "card") else "",
        )
        for n in rows[:4]
    ]


def test_the_inbox_reads_as_the_orm_does(trio: tuple[Membership, Membership, Membership]) -> None:
    alice, bob, carol = trio
    for i in range(4):
        _send(alice, [bob], question=f"问题{i}")
        _send(carol, [bob], kind="tests.posted", title=f"标题{i}")
    services.notification_send(
        recipients=[bob], kind="tests.quiet", circle=bob.circle, actor=None, params={"n": [1, {"a": "乙"}]}
    )
    Notification.objects.filter(recipient=bob, kind="tests.posted").update(target_type="x.y", target_id=7)
    Notification.objects.filter(pk=Notification.objects.filter(recipient=bob).order_by("id")[1].pk).update(
        read_at=Notification.objects.latest("id").created_at
    )
    newest = Notification.objects.filter(recipient=bob).latest("id").pk
    for before_id in (None, newest, newest - 3):
        for app in ("", "tests", "test", "nothing"):
            for unread_only in (False, True):
                got = selectors.inbox(
                    member=bob, limit=4, before_id=before_id, app=app, unread_only=unread_only
                )
                shown = [
                    (
                        i.id,
                        i.kind,
                        i.params,
                        i.url,
                        i.target_type,
                        i.target_id,
                        i.created_at,
                        i.read,
                        i.actor_name,
                    )
                    for i in got
                ]
                assert shown == _orm_inbox(bob, before_id=before_id, app=app, unread_only=unread_only)
    assert selectors.inbox(member=bob, app="tests")[0].params == {"n": [1, {"a": "乙"}]}
    assert selectors.inbox(member=alice) == []


def test_the_text_is_rendered_in_the_readers_language_at_read_time(
    trio: tuple[Membership, Membership, Membership],
) -> None:
    alice, bob, _carol = trio
    _send(alice, [bob], question="PPT?")
    with translation.override("en"):
        assert selectors.inbox(member=bob)[0].text == "王爱丽 asks: PPT?"
    with translation.override("zh-hans"):
        assert selectors.inbox(member=bob)[0].text == "王爱丽 问：PPT?"


def test_mark_read_some_or_all_and_never_anyone_elses(
    trio: tuple[Membership, Membership, Membership],
) -> None:
    alice, bob, carol = trio
    to_bob = _send(alice, [bob]) + _send(carol, [bob])
    to_carol = _send(alice, [carol])
    assert services.notifications_mark_read(member=bob, ids=[to_bob[0].pk, to_carol[0].pk]) == 1
    assert selectors.unread_count(member=bob) == 1
    assert selectors.unread_count(member=carol) == 1
    assert services.notifications_mark_read(member=bob, everything=True) == 1
    assert selectors.unread_count(member=bob) == 0
    with pytest.raises(ServiceError):
        services.notifications_mark_read(member=bob)


def _client(m: Membership) -> Client:
    c = Client()
    c.force_login(m.user)
    return c


def test_api_lists_marks_read_and_sets_the_mail_preference(
    trio: tuple[Membership, Membership, Membership],
) -> None:
    alice, bob, carol = trio
    sent = _send(alice, [bob]) + _send(carol, [bob], kind="tests.posted", title="标题")
    c = _client(bob)
    url = f"/api/v1/circles/{bob.circle.slug}/notifications"
    body = c.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["unread"] == 2
    assert body["mail"] == "digest"
    assert [i["id"] for i in body["items"]] == [sent[1].pk, sent[0].pk]
    assert body["items"][1]["text"] == "王爱丽 asks: 谁懂短剧发行？"
    assert body["items"][1]["actor_name"] == "王爱丽"
    assert c.get(f"{url}?before={sent[1].pk}").json()["items"][0]["id"] == sent[0].pk

    post = c.post(f"{url}/read", json.dumps({"ids": [sent[0].pk]}), content_type="application/json")
    assert post.status_code == 200 and post.json() == {"marked": 1, "unread": 1}
    post = c.post(f"{url}/read", json.dumps({"all": True}), content_type="application/json")
    assert post.json() == {"marked": 1, "unread": 0}
    # Bad input: a 4xx in the caller's language, nothing changed.
    bad = c.post(
        f"{url}/read", json.dumps({}), content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert bad.status_code == 400 and "标记" in bad.json()["detail"]
    bad = c.post(f"{url}/read", json.dumps({"ids": list(range(1, 600))}), content_type="application/json")
    assert bad.status_code == 422
    bad = c.post(f"{url}/mail", json.dumps({"mail": "often\x00"}), content_type="application/json")
    assert bad.status_code == 422
    ok = c.post(f"{url}/mail", json.dumps({"mail": "off"}), content_type="application/json")
    assert ok.json() == {"mail": "off"}
    assert c.get(url).json()["mail"] == "off"
    # Another member's inbox is not reachable: only your own in the circle you name.
    assert Client().get(url).status_code == 401


def test_inbox_page_lists_and_marks_read_and_the_bell_shows_the_unread_count(
    trio: tuple[Membership, Membership, Membership],
) -> None:
    alice, bob, _carol = trio
    [row] = _send(alice, [bob])
    c = _client(bob)
    page = c.get(f"/c/{bob.circle.slug}/inbox/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert "王爱丽 问：谁懂短剧发行？" in html and f'id="notification-{row.pk}"' in html
    bell = Template("{% load notifications %}{% notifications_bell %}").render(Context({"membership": bob}))
    assert 'class="badge">1<' in bell and f"/c/{bob.circle.slug}/inbox/" in bell
    assert Template("{% load notifications %}{% notifications_bell %}").render(Context({})).strip() == ""
    r = c.post(f"/c/{bob.circle.slug}/inbox/read/", {"id": row.pk})
    assert r.status_code == 302
    assert selectors.unread_count(member=bob) == 0
    r = c.post(f"/c/{bob.circle.slug}/inbox/mail/", {"mail": "immediate"})
    assert r.status_code == 302
    assert selectors.mail_preference(member=bob) == "immediate"
    r = c.post(f"/c/{bob.circle.slug}/inbox/mail/", {"mail": "sometimes"})
    assert selectors.mail_preference(member=bob) == "immediate"
