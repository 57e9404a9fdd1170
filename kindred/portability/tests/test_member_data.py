"""A member's own data: the export holds everything about them and nothing of anyone else; leaving a circle
and coming back; deleting an account keeps the books balanced (`kindred ledger verify` runs clean)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from kindred.accounts.models import ApiToken
from kindred.circles.models import MemberCard, Membership
from kindred.conversation.models import Message
from kindred.core.models import AuditEvent
from kindred.invitations.services import invitation_accept, nomination_approve, nomination_create
from kindred.matching.models import Contact
from kindred.notifications.models import Notification
from kindred.wallet.models import Account, Entry
from kindred.wallet.services import withdrawal_create, withdrawal_settle

from .scene import PRIVATE_FEN, Scene, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(origin: Membership, make_member: Callable[..., Membership]) -> Scene:
    return build(origin, make_member)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_my_export_holds_mine_and_only_mine(scene: Scene) -> None:
    response = _client(scene.alice.user).get("/api/v1/me/export")
    assert response.status_code == 200
    data = json.loads(response.content)
    text = response.content.decode()
    assert data["account"]["username"] == "alice"
    assert [m["member_id"] for m in data["memberships"]] == [scene.alice.pk]
    assert data["cards"][0]["wechat"] == "wx_alice_circle" and data["cards"][0]["phone"] == "13800000001"
    assert {t["status"] for t in data["ties"]} == {"confirmed"}
    assert data["nominations_made"][0]["name"] == "卡罗尔"
    assert data["wallet"]["account"]["balance"] == 100_000 - 1_000
    assert data["envelopes_sent"] if "envelopes_sent" in data else data["wallet"]["envelopes_sent"]
    assert data["contacts"][0]["name"] == "张三"
    assert [d["amount_fen"] for d in data["deals"]] == [PRIVATE_FEN]  # she is a party
    assert any("短剧" in m["text"] for m in data["messages"])
    assert data["api_tokens"] == [
        {"name": "我的脚本", "created_at": data["api_tokens"][0]["created_at"], "revoked_at": None}
    ]
    for secret in ApiToken.objects.values_list("token_hash", flat=True):
        assert secret not in text
    # Nothing of anyone else: not bob's card, nor his messages, nor the organizer's note on her.
    assert "我可以帮忙" not in text and "靠谱的合作伙伴" not in text and '短剧发行"' not in text
    assert AuditEvent.objects.filter(action="member_data_exported").count() == 1
    # The page's button downloads the same file; signed out there is nothing.
    page = _client(scene.alice.user).get("/me/data/")
    assert page.status_code == 200 and "/me/data/export.json" in page.content.decode()
    assert f"/c/{scene.organizer.circle.slug}/leave/" in page.content.decode()
    assert Client().get("/api/v1/me/export").status_code == 401
    assert Client().get("/me/data/export.json").status_code == 302


def test_leave_and_come_back_through_a_new_invitation(scene: Scene) -> None:
    slug = scene.organizer.circle.slug
    bob = _client(scene.bob.user)
    refused = bob.post(f"/api/v1/circles/{slug}/leave", {"confirm": False}, content_type="application/json")
    assert refused.status_code == 400
    assert Membership.objects.get(pk=scene.bob.pk).status == "active"
    done = bob.post(f"/api/v1/circles/{slug}/leave", {"confirm": True}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "left"
    assert bob.get(f"/api/v1/circles/{slug}").status_code == 404
    assert Notification.objects.filter(recipient=scene.organizer, kind="portability.member_left").exists()
    again = bob.post(f"/api/v1/circles/{slug}/leave", {"confirm": True}, content_type="application/json")
    assert again.status_code == 404  # no longer a member
    organizer = _client(scene.organizer.user)
    assert organizer.post(f"/c/{slug}/leave/", {"confirm": "1"}).status_code == 302
    assert Membership.objects.get(pk=scene.organizer.pk).status == "active"  # the organizer cannot leave

    # A new invitation brings bob back: the same membership, card and place in the tree.
    nomination = nomination_create(
        circle=scene.organizer.circle,
        nominator=scene.alice,
        name="鲍勃",
        email="bob-again@example.com",
        relationship="friend",
        years_known=3,
        closeness=3,
        reason="他回来了",
    )
    _invitation, code = nomination_approve(nomination=nomination, reviewer=scene.organizer)
    back = invitation_accept(code=code, user=scene.bob.user)
    assert back.pk == scene.bob.pk and back.status == "active" and back.sponsor_id == scene.bob.sponsor_id
    assert MemberCard.objects.get(membership=back).display_name == "鲍勃"
    assert bob.get(f"/api/v1/circles/{slug}").status_code == 200


def _ledger_ok() -> None:
    out = io.StringIO()
    call_command("ledger", "verify", stdout=out)
    assert "ok" in out.getvalue()


def test_delete_account_keeps_the_books_and_removes_the_person(scene: Scene) -> None:
    bob = scene.bob.user
    client = _client(bob)
    entries = Entry.objects.count()
    before = AuditEvent.objects.count()
    # Money left in the wallet: refused, nothing changed.
    refused = client.post(
        "/api/v1/me/delete",
        {"confirm_username": "bob", "messages": "remove"},
        content_type="application/json",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "balance_left"
    assert AuditEvent.objects.count() == before
    balance = Account.objects.get(kind="user", user=bob).balance
    result = withdrawal_create(user=bob, amount_fen=balance)
    withdrawal_settle(payment_id=result.payment.pk)
    # Bad input: 4xx, nothing changed.
    for body in (
        {"confirm_username": "bobby", "messages": "remove"},
        {"confirm_username": "bob\x00", "messages": "remove"},
        {"confirm_username": "bob", "messages": "shred"},
    ):
        bad = client.post("/api/v1/me/delete", body, content_type="application/json")
        assert 400 <= bad.status_code < 500, body
    assert User.objects.get(pk=bob.pk).is_active
    page = client.post("/me/data/delete/", {"confirm_username": "bob", "messages": "remove"})
    assert page.status_code == 302
    gone = User.objects.get(pk=bob.pk)
    assert not gone.is_active and gone.username == f"deleted-{bob.pk}" and gone.email == ""
    assert not gone.has_usable_password()
    assert Membership.objects.get(pk=scene.bob.pk).status == "left"
    card = MemberCard.objects.get(membership=scene.bob)
    assert card.display_name == "已注销成员" and card.offers == "" and card.city == ""
    assert not Message.objects.filter(author=scene.bob).exclude(text="").exists()
    assert Message.objects.filter(author=scene.bob, deleted_at__isnull=False).exists()
    assert Entry.objects.count() > entries  # the withdrawal added rows; none was removed
    assert Account.objects.get(kind="user", user=gone).balance == 0
    assert AuditEvent.objects.filter(action="account_deleted", target_id=bob.pk).exists()
    assert Notification.objects.filter(recipient=scene.organizer, kind="portability.account_deleted").exists()
    _ledger_ok()
    assert _client(gone).get("/api/v1/me").status_code == 401  # every session ends


def test_delete_keeping_messages_anonymized(scene: Scene) -> None:
    alice = scene.alice.user
    # Her open envelope is finished (bob grabbed one share, carol takes the other), then she withdraws.
    from kindred.wallet.models import Envelope
    from kindred.wallet.services import envelope_grab

    envelope_grab(envelope=Envelope.objects.get(sender=scene.alice), member=scene.carol)
    balance = Account.objects.get(kind="user", user=alice).balance
    withdrawal_settle(payment_id=withdrawal_create(user=alice, amount_fen=balance).payment.pk)
    response = _client(alice).post(
        "/api/v1/me/delete",
        {"confirm_username": "alice", "messages": "anonymize"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["contacts_deleted"] == 1
    assert Message.objects.filter(author=scene.alice, deleted_at__isnull=True).exclude(text="").exists()
    assert not Contact.objects.filter(owner=alice).exists()
    assert not ApiToken.objects.filter(user=alice).exists()
    assert MemberCard.objects.get(membership=scene.alice).wechat == ""
    _ledger_ok()


def test_an_organizer_cannot_delete_their_account(scene: Scene) -> None:
    response = _client(scene.organizer.user).post(
        "/api/v1/me/delete",
        {"confirm_username": "organizer", "messages": "remove"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert User.objects.get(pk=scene.organizer.user.pk).is_active
