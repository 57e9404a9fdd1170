from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext_lazy as _

from kindred.core.services import NotFound

from .models import Circle, Membership


def membership_for_circle(*, user: AbstractBaseUser | AnonymousUser, slug: str) -> Membership:
    """The viewer's active membership in the circle `slug`, with the circle.

    Everything inside a circle is for its members only: anyone else (anonymous, a non-member, a removed
    member, a pending nominee) gets the same NotFound as for a circle that does not exist.
    """
    if not getattr(user, "is_authenticated", False):
        raise NotFound(_("Circle not found."))
    membership = (
        Membership.objects.select_related("circle", "circle__theme", "card")
        .filter(circle__slug=slug, user=user, status=Membership.Status.ACTIVE)  # type: ignore[misc]
        .first()
    )
    if membership is None:
        raise NotFound(_("Circle not found."))
    return membership


def circle_list_for_user(*, user: AbstractBaseUser) -> list[Membership]:
    return list(
        Membership.objects.select_related("circle", "circle__theme")
        .filter(user=user, status=Membership.Status.ACTIVE)  # type: ignore[misc]
        .order_by("circle__name")
    )


__all__ = ["Circle", "circle_list_for_user", "membership_for_circle"]
