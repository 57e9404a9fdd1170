"""Thin pages: the organizer's exports, leaving a circle, and the member's own data (export, delete)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kindred.circles.access import circle_view
from kindred.circles.models import Membership
from kindred.circles.selectors import circle_list_for_user
from kindred.core.services import ServiceError

from . import selectors, services
from .api import export_response, member_export_response
from .exports import FORMATS
from .services import MESSAGE_CHOICES


@circle_view
@require_GET
def exports_page(request: HttpRequest, me: Membership) -> HttpResponse:
    selectors.require_reviewer(me)
    tables = [
        (
            "directory",
            _("Directory"),
            _("Every member's card, with the contacts you may see and your notes."),
        ),
        ("deals", _("Deals"), _("Counted deals and your own; amounts only where you may see them.")),
        ("attendance", _("Meetup attendance"), _("Every answer to the meetups you can see, and check-ins.")),
    ]
    ctx = {"circle": me.circle, "membership": me, "tables": tables, "formats": FORMATS}
    return render(request, "portability/exports.html", ctx)


@circle_view
@require_GET
def export_download(request: HttpRequest, me: Membership, what: str, fmt: str) -> HttpResponse:
    if what not in selectors.EXPORTS or fmt not in FORMATS:
        raise Http404
    return export_response(user=request.user, membership=me, what=what, fmt=fmt)  # type: ignore[arg-type]


@circle_view
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, me: Membership) -> HttpResponse:
    if request.method == "POST":
        try:
            services.member_leave(membership=me, confirm=request.POST.get("confirm") == "1")
        except ServiceError as exc:
            messages.error(request, str(exc.message))
            return redirect("portability:leave", slug=me.circle.slug)
        messages.success(request, _("You have left %(circle)s.") % {"circle": me.circle.name})
        return redirect("circles:home")
    return render(request, "portability/leave.html", {"circle": me.circle, "membership": me})


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    ctx = {"choices": MESSAGE_CHOICES, "memberships": circle_list_for_user(user=request.user)}  # type: ignore[arg-type]
    return render(request, "portability/my_data.html", ctx)


@login_required
@require_GET
def my_export(request: HttpRequest) -> HttpResponse:
    return member_export_response(user=request.user)  # type: ignore[arg-type]


@login_required
@require_POST
def my_delete(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        services.account_delete(
            user=user,
            confirm_username=request.POST.get("confirm_username", ""),
            messages=request.POST.get("messages", ""),
        )
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return redirect("portability:my_data")
    logout(request)
    messages.success(request, _("Your account has been deleted."))
    return redirect("accounts:login")
