"""How a page or an API operation finds the caller's membership of the circle in its URL: the one place, used
by every app (part of the circles shared kernel, see .importlinter). Not a member (or signed out) is a 404,
so an outsider cannot tell a circle that exists from one that does not."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kindred.core.services import NotFound

from .models import Membership
from .selectors import membership_for_circle

CircleView = Callable[..., HttpResponse]


def membership_or_404(request: HttpRequest, slug: str) -> Membership:
    """The signed-in caller's active membership of `slug`, or Http404 (for pages)."""
    try:
        return membership_for_circle(user=request.user, slug=slug)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def circle_view(view: CircleView) -> CircleView:
    """A page of one circle: sign-in required; the viewer's active membership of `slug` (or a 404) is passed
    as the second argument. A NotFound the view lets through is a 404 too."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = membership_or_404(request, slug)
        try:
            return view(request, membership, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc

    return wrapper


def api_membership(request: HttpRequest, slug: str) -> Membership:
    """The API twin: the caller's active membership of `slug`; NotFound otherwise, which the API answers with
    its 404 error body (kindred.api's handler for service errors)."""
    return membership_for_circle(user=request.user, slug=slug)


def removal_confirmation(
    request: HttpRequest, organizer: Membership, target: Membership, *, reason: str, back: str
) -> HttpResponse | None:
    """The confirmation step of removing a member (no JavaScript needed): a page that says who is removed
    and why, posting again with `confirm`. None when there is nothing to confirm (the service refuses)."""
    if not target.is_active or target.sponsor_id is None:
        return None
    ctx = {"circle": organizer.circle, "membership": organizer, "target": target, "reason": reason}
    return render(request, "circles/remove_confirm.html", {**ctx, "action": request.path, "back": back})
