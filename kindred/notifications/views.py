"""The inbox page, marking read, the mail preference. Thin: changes go through notifications.services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kindred.circles.access import circle_view
from kindred.circles.models import Membership
from kindred.core.services import ServiceError

from . import selectors, services
from .forms import MailPreferenceForm, MarkReadForm


@circle_view
@require_GET
def inbox(request: HttpRequest, me: Membership) -> HttpResponse:
    context = {
        "circle": me.circle,
        "membership": me,
        "items": selectors.inbox(member=me),
        "unread": selectors.unread_count(member=me),
        "mail_form": MailPreferenceForm(initial={"mail": selectors.mail_preference(member=me)}),
    }
    return render(request, "notifications/inbox.html", context)


@circle_view
@require_POST
def mark_read(request: HttpRequest, me: Membership) -> HttpResponse:
    """One notification (`id`), or all of them when no id is given."""
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That notification does not exist."))
    else:
        chosen = form.cleaned_data["id"]
        services.notifications_mark_read(
            member=me, ids=[chosen] if chosen else None, everything=chosen is None
        )
    return redirect("notifications:inbox", slug=me.circle.slug)


@circle_view
@require_POST
def mail_preference(request: HttpRequest, me: Membership) -> HttpResponse:
    form = MailPreferenceForm(request.POST)
    if form.is_valid():
        try:
            services.mail_preference_set(member=me, mode=form.cleaned_data["mail"])
        except ServiceError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Your mail preference is saved."))
    else:
        messages.error(request, _("Choose immediate, digest or off."))
    return redirect("notifications:inbox", slug=me.circle.slug)
