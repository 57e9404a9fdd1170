"""Introductions asked along the trust path shown, with a note; asked from a member's card through a mutual
tie; withdrawn only after a confirmation step (issue 8, items 10 and 17)."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from django.test import Client

from kindred.circles.models import Membership
from kindred.core.models import AuditEvent
from kindred.core.services import ServiceError
from kindred.matching import selectors, services
from kindred.matching.models import Introduction, MatchEntry
from kindred.ties.services import tie_record_deal
from tests.forms import form_fields

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def chain(make_member: Callable[..., Membership]) -> dict[str, Membership]:
    """A — X — Y — B, and nobody else between A and B: X (invited by the organizer) invited A and Y, and Y
    invited B. The trust path of A's match with B has two people in the middle."""
    x = make_member("x", display_name="许先生", offers="资源对接")
    a = make_member("a", sponsor=x, display_name="沈砚秋", offers="收藏，场地", needs="小程序开发团队")
    y = make_member("y", sponsor=x, display_name="严女士", offers="人脉")
    b = make_member("b", sponsor=y, display_name="宋知行", offers="小程序开发，技术团队", needs="收藏场地")
    return {"a": a, "b": b, "x": x, "y": y}


def _login(m: Membership) -> Client:
    client = Client()
    client.force_login(m.user)
    return client


def test_a_match_two_steps_away_is_asked_through_the_first_connector_on_the_path(
    chain: dict[str, Membership], origin: Membership
) -> None:
    a, b, x, y = chain["a"], chain["b"], chain["x"], chain["y"]
    services.matches_fresh(circle=a.circle)
    entry = MatchEntry.objects.get(member=a, other=b, kind=MatchEntry.Kind.MEMBER)
    assert entry.explanation["path"] == [a.pk, x.pk, y.pk, b.pk]
    client = _login(a)
    page = client.get("/c/xinwenyu/matches/").content.decode()
    assert "许先生" in page
    fields = dict(form_fields(page, "/c/xinwenyu/intros/request/"))
    assert fields["to_member_id"] == str(b.pk) and fields["via_member_id"] == str(x.pk)
    fields["note"] = "想请您帮忙引荐：我的收藏小程序缺技术团队。"
    res = client.post("/c/xinwenyu/intros/request/", urlencode(fields), content_type=FORM)
    assert res.status_code == 302, res.content.decode()
    intro = Introduction.objects.get(requester=a, target=b)
    assert intro.connector_id == x.pk != origin.pk  # not the organizer
    assert intro.note == "想请您帮忙引荐：我的收藏小程序缺技术团队。"
    # The note reaches the connector now, and the target once the connector approves.
    assert intro.note in _login(x).get("/c/xinwenyu/intros/").content.decode()
    assert intro.note not in _login(b).get("/c/xinwenyu/intros/").content.decode()
    services.intro_approve(intro=intro, member=x)
    assert intro.note in _login(b).get("/c/xinwenyu/intros/").content.decode()


def test_without_a_chosen_connector_the_service_walks_the_trust_path(chain: dict[str, Membership]) -> None:
    a, b, x, y = chain["a"], chain["b"], chain["x"], chain["y"]
    assert [
        c.member.pk
        for c in selectors.intro_connectors(circle_id=a.circle_id, requester_id=a.pk, target_id=b.pk)
    ] == [x.pk]
    assert services.intro_request(requester=a, target=b).connector_id == x.pk
    # Someone who is not the requester's tie cannot be named (Y knows B, not A); nothing is created.
    Introduction.objects.all().delete()
    with pytest.raises(ServiceError) as exc:
        services.intro_request(requester=a, target=b, via=y)
    assert exc.value.code == "bad_connector" and not Introduction.objects.exists()


def test_a_note_is_checked_by_the_text_rule_and_a_refusal_is_a_400_that_changes_nothing(
    chain: dict[str, Membership],
) -> None:
    a, b = chain["a"], chain["b"]
    client = _login(a)
    before = AuditEvent.objects.count()
    for note in ("坏\x00字", "x" * 501):
        res = client.post(
            "/c/xinwenyu/intros/request/",
            {"to_member_id": b.pk, "note": note, "next": f"/c/xinwenyu/members/{b.pk}/"},
        )
        assert res.status_code == 400
        assert f'href="/c/xinwenyu/members/{b.pk}/"' in res.content.decode()
    api = client.post(
        "/api/v1/circles/xinwenyu/intros",
        json.dumps({"to_member_id": b.pk, "note": "坏\x00字"}),
        content_type="application/json",
    )
    assert api.status_code == 422
    assert not Introduction.objects.exists() and AuditEvent.objects.count() == before


def test_a_member_card_offers_an_introduction_through_a_mutual_tie_best_trust_first(
    make_member: Callable[..., Membership],
) -> None:
    weak = make_member("weak", display_name="弱联系")
    strong = make_member("strong", display_name="强联系")
    a = make_member("ca", sponsor=weak, display_name="甲")
    b = make_member("cb", sponsor=weak, display_name="乙")
    for m in (a, b):  # strong knows both, and did business with each: the stronger go-between
        assert tie_record_deal(a=strong, b=m).status == "confirmed"
    client = _login(a)
    page = client.get(f"/c/xinwenyu/members/{b.pk}/").content.decode()
    assert "强联系" in page and 'name="via_member_id"' in page
    fields = form_fields(page, "/c/xinwenyu/intros/request/")
    assert ("via_member_id", str(strong.pk)) in fields  # selected first: the strongest ties
    assert page.index("强联系</option>") < page.index("弱联系</option>")
    body = dict(fields)
    body["note"] = "想认识一下"
    res = client.post("/c/xinwenyu/intros/request/", urlencode(body), content_type=FORM)
    assert res.status_code == 302
    intro = Introduction.objects.get(requester=a, target=b)
    assert intro.connector_id == strong.pk and intro.note == "想认识一下"
    # Nothing to ask on your own card, nor on the card of someone you already know.
    assert (
        'action="/c/xinwenyu/intros/request/"'
        not in client.get(f"/c/xinwenyu/members/{a.pk}/").content.decode()
    )
    assert (
        'action="/c/xinwenyu/intros/request/"'
        not in client.get(f"/c/xinwenyu/members/{weak.pk}/").content.decode()
    )


def test_withdrawing_needs_a_confirmation_step(chain: dict[str, Membership]) -> None:
    a, b = chain["a"], chain["b"]
    intro = services.intro_request(requester=a, target=b, note="你好")
    client = _login(a)
    page = client.get("/c/xinwenyu/intros/").content.decode()
    confirm_url = f"/c/xinwenyu/intros/{intro.pk}/withdraw/confirm/"
    assert confirm_url in page
    assert f'action="/c/xinwenyu/intros/{intro.pk}/withdraw/"' not in page  # no one-click withdraw
    # A POST that skips the step only shows it.
    res = client.post(f"/c/xinwenyu/intros/{intro.pk}/withdraw/")
    assert res.status_code == 200 and 'name="confirm"' in res.content.decode()
    intro.refresh_from_db()
    assert intro.status == Introduction.Status.AWAITING_CONNECTOR
    confirm = client.get(confirm_url).content.decode()
    fields = form_fields(confirm, f"/c/xinwenyu/intros/{intro.pk}/withdraw/")
    res = client.post(f"/c/xinwenyu/intros/{intro.pk}/withdraw/", urlencode(fields), content_type=FORM)
    assert res.status_code == 302
    intro.refresh_from_db()
    assert intro.status == Introduction.Status.WITHDRAWN
    # The connector (not the requester) gets no confirmation page.
    other = services.intro_request(requester=b, target=a)
    assert _login(chain["y"]).get(f"/c/xinwenyu/intros/{other.pk}/withdraw/confirm/").status_code == 302
    assert Introduction.objects.get(pk=other.pk).is_open
