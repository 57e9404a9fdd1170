"""Circle, card and membership services: what they change, what they refuse, and that a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from kindred.circles import services
from kindred.circles.models import Circle, Industry, MemberCard, Membership
from kindred.core.models import AuditEvent
from kindred.core.services import Conflict, PermissionDenied, ServiceError

pytestmark = pytest.mark.django_db


def test_circle_create_makes_the_creator_the_origin_organizer(organizer: User) -> None:
    circle = services.circle_create(
        creator=organizer, name="短视频圈", slug="dsp", theme_code="short-video", values_statement="真诚"
    )
    origin = Membership.objects.get(circle=circle)
    assert origin.role == Membership.Role.ORGANIZER
    assert origin.sponsor_id is None and origin.tree_path == "/" and origin.depth == 0
    assert origin.card.display_name == "老周"
    assert circle.theme is not None and circle.theme.code == "short-video"
    assert AuditEvent.objects.filter(action="circle_created", target_id=circle.pk).exists()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": "  ", "slug": "x1"}, ServiceError),
        ({"name": "圈", "slug": ""}, ServiceError),  # a Chinese name gives no slug
        ({"name": "圈", "slug": "Not a slug!"}, ServiceError),
        ({"name": "圈" * 81, "slug": "long"}, ServiceError),
        ({"name": "圈", "slug": "ok", "theme_code": "no-such"}, ServiceError),
        ({"name": "圈", "slug": "ok", "invitation_ttl_hours": 0}, ServiceError),
        ({"name": "圈", "slug": "ok", "max_pending_nominations": 51}, ServiceError),
        ({"name": "圈", "slug": "ok", "color": "red"}, ServiceError),
    ],
)
def test_circle_create_refuses_bad_input_and_changes_nothing(
    organizer: User, kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        services.circle_create(creator=organizer, **kwargs)  # type: ignore[arg-type]
    assert not Circle.objects.exists() and not Membership.objects.exists()


def test_circle_create_duplicate_slug_is_a_conflict(organizer: User, circle: Circle) -> None:
    with pytest.raises(Conflict):
        services.circle_create(creator=organizer, name="另一个", slug=circle.slug)
    assert Circle.objects.count() == 1


def test_circle_update_is_for_the_organizer(
    circle: Circle, organizer: User, make_member: Callable[..., Membership]
) -> None:
    admin = make_member(role=Membership.Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.circle_update(circle=circle, actor=admin.user, name="改名")
    services.circle_update(circle=circle, actor=organizer, name=" 新名 ", invitation_ttl_hours=48)
    circle.refresh_from_db()
    assert circle.name == "新名" and circle.invitation_ttl_hours == 48
    with pytest.raises(ServiceError):
        services.circle_update(circle=circle, actor=organizer, invitation_ttl_hours=10**6)
    circle.refresh_from_db()
    assert circle.invitation_ttl_hours == 48


def test_card_update_sets_fields_tags_industries_and_search_document(
    make_member: Callable[..., Membership],
) -> None:
    m = make_member(display_name="小王")
    card = services.card_update(
        membership=m,
        fields={"company": "星河传媒", "offers": "做短视频发行", "wechat_visibility": "circle"},
        industry_codes=["short-video", "film-tv", "short-video"],
        offer_tags=["发行", " 发行 ", "投放"],
        need_tags=["资金"],
    )
    assert card.company == "星河传媒"
    assert sorted(card.industries.values_list("code", flat=True)) == ["film-tv", "short-video"]
    assert sorted(card.tags.filter(kind="offer").values_list("name", flat=True)) == ["发行", "投放"]
    assert "短视频" in card.search_document and "星河传媒" in card.search_document
    assert "short video" in card.search_document  # the industry's English name is searchable too
    services.card_update(membership=m, fields={}, offer_tags=["投放"])
    assert list(card.tags.filter(kind="offer").values_list("name", flat=True)) == ["投放"]
    assert list(card.tags.filter(kind="need").values_list("name", flat=True)) == ["资金"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fields": {"display_name": ""}},
        {"fields": {"display_name": "名" * 65}},
        {"fields": {"email": "not-an-email"}},
        {"fields": {"phone_visibility": "everyone"}},
        {"fields": {"offers": "x" * 2001}},
        {"fields": {"organizer_note": "sneaky"}},
        {"fields": {"company": "新公司"}, "industry_codes": ["no-such"]},
        {"fields": {"company": "新公司"}, "offer_tags": ["x" * 33]},
        {"fields": {"company": "新公司"}, "need_tags": [f"t{i}" for i in range(21)]},
    ],
)
def test_card_update_refuses_bad_input_and_changes_nothing(
    make_member: Callable[..., Membership], kwargs: dict[str, object]
) -> None:
    m = make_member(display_name="小王", company="旧公司")
    before = MemberCard.objects.get(membership=m)
    with pytest.raises(ServiceError):
        services.card_update(membership=m, **kwargs)  # type: ignore[arg-type]
    after = MemberCard.objects.get(membership=m)
    assert (after.display_name, after.company, after.email, after.search_document) == (
        before.display_name,
        before.company,
        before.email,
        before.search_document,
    )
    assert not after.tags.exists() and not after.industries.exists()


def test_card_industries_include_the_circles_own_but_not_another_circles(
    circle: Circle, origin: Membership, organizer: User, make_user: Callable[..., User]
) -> None:
    own = services.industry_add(circle=circle, actor=origin, name_zh="非遗手工", name_en="Crafts")
    other_circle = services.circle_create(creator=make_user(), name="别处", slug="elsewhere")
    other_origin = Membership.objects.get(circle=other_circle)
    foreign = services.industry_add(circle=other_circle, actor=other_origin, name_zh="外圈行业")
    services.card_update(membership=origin, fields={}, industry_codes=[own.code, "music"])
    assert set(origin.card.industries.values_list("code", flat=True)) == {own.code, "music"}
    with pytest.raises(ServiceError):
        services.card_update(membership=origin, fields={}, industry_codes=[foreign.code])


def test_industry_add_is_for_the_organizer_and_refuses_duplicates(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    admin = make_member(role=Membership.Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.industry_add(circle=circle, actor=admin, name_zh="新行业")
    ind = services.industry_add(circle=circle, actor=origin, name_zh="非遗", parent_code="culture-tourism")
    assert ind.circle_id == circle.pk and ind.parent is not None and ind.parent.code == "culture-tourism"
    with pytest.raises(Conflict):
        services.industry_add(circle=circle, actor=origin, name_zh="非遗")
    with pytest.raises(Conflict):
        services.industry_add(circle=circle, actor=origin, name_zh="短视频")  # a curated one
    with pytest.raises(ServiceError):
        services.industry_add(circle=circle, actor=origin, name_zh="x" * 65)
    with pytest.raises(ServiceError):
        services.industry_add(circle=circle, actor=origin, name_zh="y", parent_code="nope")
    assert Industry.objects.filter(circle=circle).count() == 1


def test_membership_note_is_for_organizer_and_admins(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    member = make_member()
    other = make_member()
    admin = make_member(role=Membership.Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.membership_note_set(membership=member, actor=other, note="hi")
    services.membership_note_set(membership=member, actor=admin, note=" 靠谱 ")
    member.refresh_from_db()
    assert member.organizer_note == "靠谱"
    event = AuditEvent.objects.get(action="membership_note_set")
    assert "靠谱" not in str(event.data)
    with pytest.raises(ServiceError):
        services.membership_note_set(membership=member, actor=origin, note="x" * 2001)
    member.refresh_from_db()
    assert member.organizer_note == "靠谱"


def test_membership_role_set_only_by_organizer(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    member = make_member()
    admin = make_member(role=Membership.Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.membership_role_set(membership=member, actor=admin, role="admin")
    services.membership_role_set(membership=member, actor=origin, role="admin")
    member.refresh_from_db()
    assert member.role == "admin" and member.can_review
    services.membership_role_set(membership=member, actor=origin, role="member")
    member.refresh_from_db()
    assert member.role == "member"
    with pytest.raises(ServiceError):
        services.membership_role_set(membership=member, actor=origin, role="organizer")
    with pytest.raises(ServiceError):
        services.membership_role_set(membership=origin, actor=origin, role="member")
    assert AuditEvent.objects.filter(action="membership_role_set").count() == 2


def test_membership_remove_keeps_the_row_and_tells_the_sponsor(
    origin: Membership,
    make_member: Callable[..., Membership],
    mailoutbox: list,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    sponsor = make_member("sponsor")
    member = make_member(sponsor=sponsor, display_name="小李")
    with pytest.raises(ServiceError):
        services.membership_remove(membership=member, actor=origin, reason="  ")
    with pytest.raises(PermissionDenied):
        services.membership_remove(membership=member, actor=sponsor, reason="x")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        removed = services.membership_remove(membership=member, actor=origin, reason="违反群规")
    assert removed.status == "removed" and removed.removed_reason == "违反群规"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["sponsor@example.com"]
    with pytest.raises(Conflict):
        services.membership_remove(membership=member, actor=origin, reason="again")
    with pytest.raises(PermissionDenied):
        services.card_update(membership=removed, fields={"company": "x"})


def test_membership_create_refuses_duplicates_and_bad_draft_cards(
    circle: Circle, origin: Membership, make_user: Callable[..., User]
) -> None:
    user = make_user()
    services.membership_create(circle=circle, user=user, sponsor=origin)
    with pytest.raises(Conflict):
        services.membership_create(circle=circle, user=user, sponsor=origin)
    with pytest.raises(ServiceError):
        services.membership_create(
            circle=circle, user=make_user(), sponsor=origin, card_fields={"email": "nope"}
        )
