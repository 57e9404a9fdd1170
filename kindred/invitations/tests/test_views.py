"""The pages: nominate, review, accept, the invite tree."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from kindred.circles.models import Membership
from kindred.conftest import PASSWORD
from kindred.core.models import AuditEvent
from kindred.invitations.models import Invitation, Nomination
from kindred.invitations.services import invitation_revoke, nomination_approve

pytestmark = pytest.mark.django_db
Nominate = Callable[..., Nomination]
MakeMember = Callable[..., Membership]
SLUG = "xinwenyu"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="kindred.accounts.backends.ModelBackend")
    return client


def test_pages_are_404_for_strangers_and_pending_nominees(
    make_user, make_member: MakeMember, nominate: Nominate
) -> None:
    nominee = make_user("linxiao", email="linxiao@example.com")  # has an account, is only nominated
    nominate(make_member("alice"))
    client = signed_in(nominee)
    for name in ("nominate", "review", "tree"):
        assert client.get(reverse(f"invitations:{name}", args=[SLUG])).status_code == 404
        # Anonymous visitors are sent to sign in, as on every circle page.
        assert Client().get(reverse(f"invitations:{name}", args=[SLUG])).status_code == 302
    assert client.get(reverse("conversation:home", args=[SLUG])).status_code == 404


def test_review_is_404_for_plain_members(make_member: MakeMember, nominate: Nominate) -> None:
    alice = make_member("alice")
    n = nominate(alice)
    client = signed_in(alice.user)
    assert client.get(reverse("invitations:review", args=[SLUG])).status_code == 404
    assert client.post(reverse("invitations:approve", args=[SLUG, n.pk])).status_code == 404
    assert Invitation.objects.count() == 0


def test_nominate_page_creates_and_lists(make_member: MakeMember) -> None:
    alice = make_member("alice")
    client = signed_in(alice.user)
    url = reverse("invitations:nominate", args=[SLUG])
    assert client.get(url).status_code == 200
    data = {
        "name": "林晓",
        "email": "linxiao@example.com",
        "relationship": "friend",
        "years_known": "3",
        "closeness": "5",
        "reason": "做游戏发行",
        "company": "晓光",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    n = Nomination.objects.get()
    assert n.draft_card == {"company": "晓光"} and n.closeness == 5
    page = client.get(url).content.decode()
    assert "林晓" in page
    # Bad input: 400, nothing added.
    response = client.post(url, {**data, "email": "", "closeness": "9"})
    assert response.status_code == 400
    assert Nomination.objects.count() == 1


def test_refused_nomination_shows_why(circle, origin: Membership, make_member: MakeMember) -> None:
    from kindred.circles.services import circle_update

    circle_update(circle=circle, actor=origin.user, nomination_policy="organizer_only")
    alice = make_member("alice")
    client = signed_in(alice.user)
    page = client.get(reverse("invitations:nominate", args=[SLUG]))
    assert (
        page.status_code == 200
        and '<form method="post" action="/c/xinwenyu/nominate/"' not in page.content.decode()
    )


def test_review_approve_shows_link_once_and_reject(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    alice = make_member("alice")
    n1 = nominate(alice)
    n2 = nominate(alice, email="other@example.com", name="张三")
    client = signed_in(origin.user)
    page = client.get(reverse("invitations:review", args=[SLUG])).content.decode()
    assert "林晓" in page and "张三" in page
    response = client.post(reverse("invitations:approve", args=[SLUG, n1.pk]))
    assert response.status_code == 200
    assert "http://localhost:8000/invite/" in response.content.decode()
    response = client.post(reverse("invitations:reject", args=[SLUG, n2.pk]), {"reason": ""})
    assert response.status_code == 400
    response = client.post(reverse("invitations:reject", args=[SLUG, n2.pk]), {"reason": "方向不符"})
    assert response.status_code == 302
    n2.refresh_from_db()
    assert n2.reject_reason == "方向不符"
    # The nominator sees the reason on their page.
    assert (
        "方向不符" in signed_in(alice.user).get(reverse("invitations:nominate", args=[SLUG])).content.decode()
    )


def test_reissue_from_review(origin: Membership, make_member: MakeMember, nominate: Nominate) -> None:
    invitation, _ = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    response = signed_in(origin.user).post(reverse("invitations:reissue", args=[SLUG, invitation.pk]))
    assert response.status_code == 200 and "/invite/" in response.content.decode()
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_accept_page_shows_only_name_theme_inviter(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    alice = make_member("alice", display_name="王爱丽", company="星河影业-秘密")
    _, code = nomination_approve(nomination=nominate(alice), reviewer=origin)
    client = Client()
    page = client.get(reverse("invitations:accept", args=[code]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "新文娱产业群" in body and "王爱丽" in body
    assert "星河影业-秘密" not in body and "/c/xinwenyu/members/" not in body


def test_accept_creates_account_signs_in_and_goes_to_card(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    client = Client()
    url = reverse("invitations:accept", args=[code])
    bad = client.post(url, {"username": "linxiao", "password1": PASSWORD, "password2": "other"})
    assert bad.status_code == 400 and not User.objects.filter(username="linxiao").exists()
    weak = client.post(url, {"username": "linxiao", "password1": "123", "password2": "123"})
    assert weak.status_code == 400 and not User.objects.filter(username="linxiao").exists()
    response = client.post(
        url, {"username": "linxiao", "password1": PASSWORD, "password2": PASSWORD, "display_name": "小林"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("circles:card_edit", args=[SLUG])
    assert client.get(reverse("conversation:home", args=[SLUG])).status_code == 200  # signed in, a member now
    # Used: a clear page, 410.
    used = Client().get(url)
    assert used.status_code == 410


def test_accept_with_signed_in_account(
    origin: Membership, make_user, make_member: MakeMember, nominate: Nominate
) -> None:
    existing = make_user("linxiao")
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    client = signed_in(existing)
    response = client.post(reverse("invitations:accept", args=[code]), {"choice": "join", "display_name": ""})
    assert response.status_code == 302
    # Joining as oneself keeps one's own name, not the nominee's.
    assert Membership.objects.get(user=existing).card.display_name == "linxiao"


def test_invalid_and_revoked_codes(origin: Membership, make_member: MakeMember, nominate: Nominate) -> None:
    alice = make_member("alice")
    assert Client().get(reverse("invitations:accept", args=["nope"])).status_code == 404
    invitation, code = nomination_approve(nomination=nominate(alice), reviewer=origin)
    invitation_revoke(invitation=invitation, actor=alice)
    assert Client().get(reverse("invitations:accept", args=[code])).status_code == 410


def test_tree_page_and_removal(
    origin: Membership, make_member: MakeMember, django_capture_on_commit_callbacks
) -> None:
    alice = make_member("alice", display_name="王爱丽")
    bob = make_member("bob", sponsor=alice, display_name="陈波")
    page = signed_in(alice.user).get(reverse("invitations:tree", args=[SLUG])).content.decode()
    assert "王爱丽" in page and "陈波" in page and "/remove/" not in page
    remove = reverse("invitations:remove", args=[SLUG, bob.pk])
    assert signed_in(alice.user).post(remove, {"reason": "x"}).status_code == 404
    client = signed_in(origin.user)
    assert f'action="{remove}"' in client.get(reverse("invitations:tree", args=[SLUG])).content.decode()
    assert client.post(remove, {"reason": ""}).status_code == 302
    bob.refresh_from_db()
    assert bob.is_active
    # The first post only asks for confirmation.
    first = client.post(remove, {"reason": "违反群规"})
    assert first.status_code == 200 and 'id="remove-confirm"' in first.content.decode()
    bob.refresh_from_db()
    assert bob.is_active and not AuditEvent.objects.filter(action="membership_removed").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(remove, {"reason": "违反群规", "confirm": "1"}).status_code == 302
    bob.refresh_from_db()
    assert not bob.is_active and bob.removed_reason == "违反群规"
    assert AuditEvent.objects.filter(action="membership_removed", target_id=bob.pk).exists()
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_chinese_by_default_pages_and_emails(
    origin: Membership, make_member: MakeMember, nominate: Nominate, django_capture_on_commit_callbacks
) -> None:
    n = nominate(make_member("alice"))
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(origin.user).post(reverse("invitations:approve", args=[SLUG, n.pk]))
    assert "邀请链接" in response.content.decode()
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["alice 邀请你加入新文娱产业群", "你对 林晓 的提名已通过"]
    code = response.content.decode().split("/invite/")[1].split("/")[0]
    assert (
        "你受邀加入新文娱产业群" in Client().get(reverse("invitations:accept", args=[code])).content.decode()
    )
