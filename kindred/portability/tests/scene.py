"""A small circle with rows in every app's tables, made through the services (for the round trip, the
exports and the member's data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from kindred.accounts.services import token_create
from kindred.circles.models import Membership, Visibility
from kindred.circles.selectors import industry_list
from kindred.circles.services import card_update, membership_note_set
from kindred.conversation.services import message_post, read_marker_set
from kindred.deals.services import deal_confirm, deal_create
from kindred.invitations.services import invitation_accept, nomination_approve, nomination_create
from kindred.matching.services import contacts_import, intro_decline, intro_request
from kindred.meetups.services import feed_create, followup_create, meetup_create, rsvp_set, trip_create
from kindred.notifications.services import mail_preference_set
from kindred.ties.services import tie_confirm, tie_declare
from kindred.wallet.services import (
    circle_settings_update,
    envelope_grab,
    envelope_send,
    greeting_waive,
    topup_create,
)

FORMULA = '=HYPERLINK("http://evil.example","点我")'
PRIVATE_FEN = 8_888_800


@dataclass
class Scene:
    organizer: Membership
    alice: Membership
    bob: Membership
    carol: Membership  # joined through an invitation


def build(origin: Membership, make_member: Callable[..., Membership]) -> Scene:
    now = timezone.now()
    alice = make_member("alice", display_name="爱丽丝", company=FORMULA, city="北京")
    bob = make_member("bob", display_name="鲍勃", offers="短剧发行", city="上海")
    card_update(
        membership=alice,
        fields={
            "wechat": "wx_alice_circle",
            "wechat_visibility": Visibility.CIRCLE,
            "phone": "13800000001",
            "needs": "找短剧发行渠道",
            "offers": "音乐版权",
        },
        offer_tags=["版权", "+86 发行"],
        industry_codes=[industry_list()[0].code],
    )
    membership_note_set(membership=alice, actor=origin, note="靠谱的合作伙伴")
    tie = tie_declare(declarer=alice, other=bob, kind="colleague")
    tie_confirm(tie=tie, member=bob)
    nomination = nomination_create(
        circle=origin.circle,
        nominator=alice,
        name="卡罗尔",
        email="carol@example.com",
        relationship="friend",
        years_known=5,
        closeness=4,
        reason="做音乐版权",
    )
    _invitation, code = nomination_approve(nomination=nomination, reviewer=origin)
    carol = invitation_accept(code=code, username="carol", password="a long enough pass 甲乙")
    for m in (origin, alice, bob):
        topup_create(user=m.user, amount_fen=100_000)
    circle_settings_update(
        circle=origin.circle,
        actor=origin,
        sender_may_grab=False,
        greeting_rule="suggested",
        greeting_min_total_fen=100,
        greeting_min_shares=1,
    )
    greeting_waive(membership=bob, actor=origin)
    envelope = envelope_send(
        sender=alice, total_fen=1_000, shares=2, mode="equal", greeting="大吉大利", idempotency_key="k-1"
    )
    envelope_grab(envelope=envelope, member=bob)
    intro_request(requester=bob, target=carol, via=origin, note="想认识做音乐的朋友")
    dave = make_member("dave", sponsor=bob, display_name="戴夫", needs="音乐版权", offers="短剧发行")
    declined = intro_request(requester=dave, target=alice, via=origin, note="想认识")
    intro_decline(intro=declined, member=origin)
    contacts_import(
        owner=alice.user,
        filename="c.vcf",
        data="BEGIN:VCARD\r\nVERSION:3.0\r\nFN:张三\r\nEMAIL:zhangsan@example.com\r\nEND:VCARD\r\n".encode(),
    )
    trip = trip_create(
        traveller=bob, city="深圳", starts_on=now.date(), ends_on=now.date() + timedelta(days=2)
    )
    meetup = meetup_create(
        circle=origin.circle,
        host=origin,
        title="-1 饭局 @北京",
        city="北京",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
        trip=trip,
    )
    rsvp_set(meetup=meetup, member=alice, answer="yes")
    rsvp_set(meetup=meetup, member=bob, answer="yes")
    followup_create(meetup=meetup, actor=origin, member_a=alice, member_b=bob, note="聊聊短剧")
    meetup_create(
        circle=origin.circle,
        host=alice,
        title="小范围茶叙",
        city="北京",
        starts_at=now + timedelta(days=5),
        ends_at=now + timedelta(days=5, hours=1),
        access="invitation",
        invitee_ids=[bob.pk],
    )
    mail_preference_set(member=bob, mode="off")
    feed_create(member=alice)
    deal = deal_create(
        circle=origin.circle,
        creator=alice,
        kind="cooperation",
        title="短剧联合出品",
        party_ids=[bob.pk],
        origin="introduction",
        amount_fen=PRIVATE_FEN,
    )
    deal_confirm(deal=deal, member=bob)
    posted = message_post(author=alice, text="@鲍勃 谁认识做短剧发行的？", kind="ask")
    message_post(author=bob, text="我可以帮忙", reply_to_id=posted.message.pk)
    read_marker_set(member=bob, last_read_id=posted.message.pk)
    token_create(user=alice.user, name="我的脚本")
    return Scene(organizer=origin, alice=alice, bob=bob, carol=carol)
