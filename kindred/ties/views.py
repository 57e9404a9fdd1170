"""Ties pages: the list (requests, my ties, suggestions) and the POST endpoints behind its buttons.

Every POST works without JavaScript (redirect back with a message); with HTMX it answers a small
fragment that replaces the button's slot.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kindred.circles.access import membership_or_404
from kindred.circles.models import Membership
from kindred.circles.selectors import members_version, membership_get
from kindred.core.fragments import CSRF_SLOT, fragment, with_csrf
from kindred.core.services import NotFound, ServiceError

from . import selectors, services
from .forms import TieDeclareForm
from .models import Tie


def _back(request: HttpRequest, slug: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("ties:list", args=[slug])


def _answer(request: HttpRequest, me: Membership, *, ok: bool, message: str) -> HttpResponse:
    """HTMX: the fragment for the button's slot (200, so htmx swaps it in). Plain POST: a message and
    a redirect back on success, the list page with a 400 on a refusal."""
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "ties/_answer.html", {"ok": ok, "message": message})
    if ok:
        messages.success(request, message)
        return redirect(_back(request, me.circle.slug))
    messages.error(request, message)
    return _list_page(request, me, status=400)


def _list_page(request: HttpRequest, me: Membership, *, status: int = 200) -> HttpResponse:
    """The page; its body kept per member under the circle's members_version (every tie, membership and
    card change moves it), language and year (the form's latest year), forms filled with this request's
    CSRF token."""

    def render_body() -> str:
        overview, suggestions = selectors.tie_page(membership=me)
        context = {
            "circle": me.circle,
            "membership": me,
            "overview": overview,
            "suggestions": suggestions,
            "form": TieDeclareForm(),
            "csrf_token": CSRF_SLOT,
        }
        return render_to_string("ties/_list_body.html", context)

    version = (me.pk, *members_version(me.circle), timezone.localdate().year)
    body = with_csrf(request, fragment("ties.page", version, render_body))
    return render(
        request, "ties/list.html", {"circle": me.circle, "membership": me, "body": body}, status=status
    )


@login_required
@require_GET
def tie_list(request: HttpRequest, slug: str) -> HttpResponse:
    return _list_page(request, membership_or_404(request, slug))


@login_required
@require_POST
def declare(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_or_404(request, slug)
    form = TieDeclareForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        return _answer(request, me, ok=False, message=" ".join(errors))
    try:
        other = membership_get(circle=me.circle, member_id=form.cleaned_data["member_id"])
        tie = services.tie_declare(
            declarer=me,
            other=other,
            kind=form.cleaned_data["kind"],
            since_year=form.cleaned_data["since_year"],
        )
    except ServiceError as exc:
        return _answer(request, me, ok=False, message=str(exc.message))
    name = other.card.display_name
    if tie.status == Tie.Status.CONFIRMED:
        message = _("You and %(name)s are now tied.") % {"name": name}
    else:
        message = _("Request sent; %(name)s will be asked to confirm.") % {"name": name}
    return _answer(request, me, ok=True, message=message)


def _answer_view(
    action: Callable[..., Tie], done: Promise
) -> Callable[[HttpRequest, str, int], HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, slug: str, tie_id: int) -> HttpResponse:
        me = membership_or_404(request, slug)
        try:
            found = selectors.tie_get_for_member(membership=me, tie_id=tie_id)
            action(tie=found.tie, member=me)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except ServiceError as exc:
            return _answer(request, me, ok=False, message=str(exc.message))
        return _answer(request, me, ok=True, message=str(done) % {"name": found.partner.card.display_name})

    return view


confirm = _answer_view(services.tie_confirm, gettext_lazy("You and %(name)s are now tied."))
ignore = _answer_view(services.tie_ignore, gettext_lazy("Ignored the request from %(name)s."))
