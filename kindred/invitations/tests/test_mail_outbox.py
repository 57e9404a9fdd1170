"""The invitation link goes out through the outbox: the request mails nothing itself, the outbox task mails
the nominee (by address: no account) and the nominator once each, and the link does not stay in the outbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from kindred.circles.models import Membership
from kindred.invitations.models import Nomination
from kindred.notifications import outbox
from kindred.notifications.models import Outbox
from kindred.notifications.services import mail_send

pytestmark = pytest.mark.django_db


def test_approving_mails_nothing_in_the_request_and_the_outbox_mails_each_once(
    origin: Membership,
    make_member: Callable[..., Membership],
    nominate: Callable[..., Nomination],
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice = make_member("alice", email="alice@example.com")
    alice.user.email = "alice@example.com"
    alice.user.save()
    nomination = nominate(alice)
    client = Client()
    client.force_login(origin.user)
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = client.post(reverse("invitations:approve", args=["xinwenyu", nomination.pk]))
    assert response.status_code == 200
    assert mail.outbox == []  # nothing was mailed inside the request
    rows = {(r.user_id, r.address, r.state) for r in Outbox.objects.all()}
    assert rows == {(None, "linxiao@example.com", "pending"), (alice.user_id, "", "pending")}
    for callback in after_commit:  # the background worker (immediate in tests)
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "linxiao@example.com"]
    code = response.content.decode().split("/invite/")[1].split("/")[0]
    assert all(code in m.body for m in mail.outbox)
    assert outbox.outbox_send() == 0 and len(mail.outbox) == 2  # once
    for row in Outbox.objects.all():
        assert row.state == "sent" and row.params == {} and row.url == ""  # the link is not kept


def test_an_outbox_row_has_a_user_or_an_address(origin: Membership) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Outbox.objects.create(key="neither", kind="invitations.link_to_nominee", immediate=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Outbox.objects.create(
            key="both",
            user=origin.user,
            address="x@example.com",
            kind="invitations.link_to_nominee",
            immediate=True,
        )
    params = {"name": "林晓", "inviter": "老周", "circle": "新文娱产业群", "expires": "2026-12-01 10:00"}
    kind = "invitations.link_to_nominee"
    assert mail_send(kind=kind, key="k1", address="x@example.com", params=params, url="/invite/abc/")
    assert not mail_send(kind=kind, key="k1", address="x@example.com", params=params, url="/invite/abc/")
    assert Outbox.objects.filter(key="k1").count() == 1
