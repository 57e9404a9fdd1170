"""membership_for_circle's one hand-built query reads exactly what the ORM's select_related reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model

from kindred.circles import services
from kindred.circles.models import Circle, Industry, Membership
from kindred.circles.selectors import membership_for_circle
from kindred.core.services import NotFound


def _fields(obj: Model | None) -> dict[str, object] | None:
    if obj is None:
        return None
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _orm(pk: int) -> Membership:
    return Membership.objects.select_related("circle", "circle__theme__parent", "card").get(pk=pk)


def _same(got: Membership, want: Membership, django_assert_num_queries: Callable) -> None:
    with django_assert_num_queries(0):  # every relation came with the one query
        pairs = [
            (got, want),
            (got.circle, want.circle),
            (got.circle.theme, want.circle.theme),
            (got.circle.theme and got.circle.theme.parent, want.circle.theme and want.circle.theme.parent),
            (got.card, want.card),
        ]
        for a, b in pairs:
            assert _fields(a) == _fields(b)
        assert got.card.membership is got


def test_the_same_as_the_orm(
    circle: Circle,
    make_member: Callable[..., Membership],
    django_assert_num_queries: Callable,
) -> None:
    m = make_member(display_name="阿甲", bio="第一行\n第二行", city="上海")
    services.card_update(membership=m, fields={"wechat": "wx"}, industry_codes=["music"])
    got = membership_for_circle(user=m.user, slug=circle.slug)
    assert got.joined_at.tzinfo is not None and got.card.updated_at.tzinfo is not None
    assert got.circle.theme is None
    _same(got, _orm(m.pk), django_assert_num_queries)
    # A themed circle (a theme with a parent).
    theme = Industry.objects.filter(circle__isnull=True, parent__isnull=False).first()
    assert theme is not None
    Circle.objects.filter(pk=circle.pk).update(theme=theme)
    got = membership_for_circle(user=m.user, slug=circle.slug)
    assert got.circle.theme is not None and got.circle.theme.parent is not None
    _same(got, _orm(m.pk), django_assert_num_queries)


def test_not_found_for_anyone_else(
    circle: Circle,
    origin: Membership,
    make_member: Callable[..., Membership],
    make_user: Callable[..., User],
) -> None:
    gone = make_member()
    services.membership_remove(membership=gone, actor=origin, reason="离开")
    for user, slug in (
        (gone.user, circle.slug),
        (make_user(), circle.slug),
        (origin.user, "no-such"),
        (AnonymousUser(), circle.slug),
        (origin.user, "x\x00"),
    ):
        with pytest.raises(NotFound):
            membership_for_circle(user=user, slug=slug)
    assert membership_for_circle(user=origin.user, slug=circle.slug).pk == origin.pk
