"""Pages of vetted growth: nominate, review, the invite tree, and accepting an invitation.

The raw invitation link is shown exactly once: to the reviewer on the page that answers the approval (or a
direct invitation, or a re-issue), and it is mailed to the nominee and the nominator when they have an email.
Only its hash is stored, so a lost link is replaced by a reviewer's "re-issue" (the old one is revoked).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kindred.circles.access import membership_or_404, removal_confirmation
from kindred.circles.models import MemberCard, Membership
from kindred.circles.selectors import members_version, membership_get
from kindred.circles.services import membership_remove
from kindred.core.fragments import CSRF_SLOT, fragment, with_csrf
from kindred.core.services import NotFound, ServiceError

from . import selectors, services
from .forms import DirectInvitationForm, JoinForm, NominationForm, ReasonForm, SignupForm
from .models import Invitation

LOGIN_BACKEND = "kindred.accounts.backends.ModelBackend"


def _reviewer(request: HttpRequest, slug: str) -> Membership:
    membership = membership_or_404(request, slug)
    if not membership.can_review:
        raise Http404(_("Not found."))
    return membership


def _status_of(exc: ServiceError) -> int:
    return exc.status_code if 400 <= exc.status_code < 500 else 400


def _issued(request: HttpRequest, reviewer: Membership, invitation: Invitation, code: str) -> HttpResponse:
    """The one page that shows a raw invitation link."""
    return render(
        request,
        "invitations/issued.html",
        {
            "circle": reviewer.circle,
            "membership": reviewer,
            "invitation": invitation,
            "url": services.invitation_url(code),
        },
    )


# --- nominate ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def nominate(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_or_404(request, slug)
    form = NominationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                nomination = services.nomination_create(
                    circle=membership.circle,
                    nominator=membership,
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    relationship=data["relationship"],
                    years_known=data["years_known"],
                    closeness=data["closeness"],
                    reason=data["reason"],
                    draft_card=form.draft_card(),
                )
            except ServiceError as exc:
                form.add_error(None, str(exc.message))
                status = _status_of(exc)
            else:
                messages.success(
                    request, _("%(name)s is nominated and waits for review.") % {"name": nomination.name}
                )
                return redirect("invitations:nominate", slug=slug)
        else:
            status = 400
    context = {
        "circle": membership.circle,
        "membership": membership,
        "form": form,
        "refusal": services.nomination_refusal(membership=membership),
        "nominations": selectors.nominations_by(nominator=membership),
    }
    return render(request, "invitations/nominate.html", context, status=status)


@login_required
@require_POST
def nomination_withdraw(request: HttpRequest, slug: str, nomination_id: int) -> HttpResponse:
    membership = membership_or_404(request, slug)
    try:
        nomination = selectors.nomination_get(circle=membership.circle, nomination_id=nomination_id)
        services.nomination_withdraw(nomination=nomination, nominator=membership)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Nomination withdrawn."))
    return redirect("invitations:nominate", slug=slug)


# --- review ------------------------------------------------------------------------------------------


def _review_page(
    request: HttpRequest,
    reviewer: Membership,
    *,
    direct_form: DirectInvitationForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "circle": reviewer.circle,
        "membership": reviewer,
        "pending": selectors.nominations_pending(circle=reviewer.circle),
        "invitations": selectors.invitations_recent(circle=reviewer.circle),
        "direct_form": direct_form or DirectInvitationForm(),
        "error": error,
    }
    return render(request, "invitations/review.html", context, status=status)


@login_required
def review(request: HttpRequest, slug: str) -> HttpResponse:
    return _review_page(request, _reviewer(request, slug))


def _issue_page(
    request: HttpRequest, reviewer: Membership, issue: Callable[[], tuple[Invitation, str]]
) -> HttpResponse:
    """Run an action that yields a new invitation and show its link once, or the queue with the refusal."""
    try:
        invitation, code = issue()
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except ServiceError as exc:
        return _review_page(request, reviewer, error=str(exc.message), status=_status_of(exc))
    return _issued(request, reviewer, invitation, code)


@login_required
@require_POST
def review_approve(request: HttpRequest, slug: str, nomination_id: int) -> HttpResponse:
    reviewer = _reviewer(request, slug)
    return _issue_page(
        request,
        reviewer,
        lambda: services.nomination_approve(
            nomination=selectors.nomination_get(circle=reviewer.circle, nomination_id=nomination_id),
            reviewer=reviewer,
        ),
    )


@login_required
@require_POST
def review_reject(request: HttpRequest, slug: str, nomination_id: int) -> HttpResponse:
    reviewer = _reviewer(request, slug)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _review_page(request, reviewer, error=_("Give a reason the nominator will see."), status=400)
    try:
        nomination = selectors.nomination_get(circle=reviewer.circle, nomination_id=nomination_id)
        services.nomination_reject(
            nomination=nomination, reviewer=reviewer, reason=form.cleaned_data["reason"]
        )
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except ServiceError as exc:
        return _review_page(request, reviewer, error=str(exc.message), status=_status_of(exc))
    messages.success(request, _("Nomination of %(name)s rejected.") % {"name": nomination.name})
    return redirect("invitations:review", slug=slug)


@login_required
@require_POST
def invite_direct(request: HttpRequest, slug: str) -> HttpResponse:
    reviewer = _reviewer(request, slug)
    form = DirectInvitationForm(request.POST)
    if not form.is_valid():
        return _review_page(request, reviewer, direct_form=form, status=400)
    data = form.cleaned_data
    try:
        invitation, code = services.invitation_direct(
            circle=reviewer.circle,
            organizer=reviewer,
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            reason=data["reason"],
            draft_card=form.draft_card(),
        )
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return _review_page(request, reviewer, direct_form=form, status=_status_of(exc))
    return _issued(request, reviewer, invitation, code)


@login_required
@require_POST
def invitation_reissue(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    reviewer = _reviewer(request, slug)
    return _issue_page(
        request,
        reviewer,
        lambda: services.invitation_reissue(
            invitation=selectors.invitation_get(circle=reviewer.circle, invitation_id=invitation_id),
            reviewer=reviewer,
        ),
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    membership = membership_or_404(request, slug)
    back = "invitations:review" if membership.can_review else "invitations:nominate"
    try:
        invitation = selectors.invitation_get(circle=membership.circle, invitation_id=invitation_id)
        services.invitation_revoke(invitation=invitation, actor=membership)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Invitation revoked; the link no longer works."))
    return redirect(back, slug=slug)


# --- invite tree -------------------------------------------------------------------------------------


@login_required
def tree(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_or_404(request, slug)
    circle = membership.circle
    organizer = membership.is_organizer  # only the organizer's tree has the removal forms

    def render_tree() -> str:
        root = selectors.circle_tree(circle=circle)
        context = {"circle": circle, "organizer": organizer, "root": root, "csrf_token": CSRF_SLOT}
        return render_to_string("invitations/_tree.html", context)

    # Rendered once per version of the circle's members (read with the membership: every join, leave,
    # removal, rejoin and card change moves it in its transaction), language and role: no query once kept.
    parts = (*members_version(circle), circle.slug, organizer)
    html = fragment("invitations.tree", parts, render_tree)
    context: dict[str, Any] = {
        "circle": circle,
        "membership": membership,
        "tree": with_csrf(request, html) if organizer else html,
    }
    return render(request, "invitations/tree.html", context)


@login_required
@require_POST
def tree_remove(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    organizer = membership_or_404(request, slug)
    if not organizer.is_organizer:
        raise Http404(_("Not found."))
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the removal."))
        return redirect("invitations:tree", slug=slug)
    if not 0 < member_id < selectors.MAX_ID:
        raise Http404(_("Not found."))
    try:
        target = membership_get(circle=organizer.circle, member_id=member_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    if request.POST.get("confirm") != "1":
        page = removal_confirmation(
            request,
            organizer,
            target,
            reason=form.cleaned_data["reason"],
            back=reverse("invitations:tree", args=[slug]) + f"#member-{target.pk}",
        )
        if page is not None:
            return page
    try:
        membership_remove(membership=target, actor=organizer, reason=form.cleaned_data["reason"])
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The member was removed."))
    return redirect("invitations:tree", slug=slug)


# --- accept ------------------------------------------------------------------------------------------


ACCEPT_CHOICES = ("join", "signout")  # a signed-in visitor's explicit choice on someone's invitation


def _own_display_name(account: User) -> str:
    """The name a signed-in account goes by: its newest card in any circle, else its full or user name."""
    card_name = (
        MemberCard.objects.filter(membership__user=account)
        .order_by("-membership__joined_at")
        .values_list("display_name", flat=True)
        .first()
    )
    return card_name or account.get_full_name() or account.get_username()


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, code: str) -> HttpResponse:
    """Shows only the circle's name, theme and who invited; nothing else of the circle before acceptance.

    A signed-in visitor is told whose invitation it is and chooses: sign out (then create the invitee's
    account here), or join as themselves. Nothing is used until one of the two is posted."""
    try:
        invitation = selectors.invitation_for_code(code)
    except NotFound as exc:
        return render(request, "invitations/invalid.html", {"message": exc.message}, status=404)
    refusal = services.invitation_refusal(invitation)
    if refusal is not None:
        return render(request, "invitations/invalid.html", {"message": refusal.message}, status=410)
    account = request.user if isinstance(request.user, User) and request.user.is_authenticated else None
    nomination = invitation.nomination
    choice = request.POST.get("choice", "") if request.method == "POST" else ""
    if account is not None and choice == "signout":
        logout(request)
        return redirect(reverse("invitations:accept", kwargs={"code": code}))
    form: JoinForm
    if account is not None:
        own_name = _own_display_name(account)
        form = JoinForm(request.POST if choice == "join" else None, initial={"display_name": own_name})
    else:
        form = SignupForm(
            request.POST or None, initial={"display_name": nomination.name, "email": nomination.email}
        )
    status = 200
    error = ""
    if request.method == "POST" and account is not None and choice not in ACCEPT_CHOICES:
        error = _("Choose: sign out and create their account, or join as yourself.")
        status = 400
    elif request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if account is not None:
                    membership = services.invitation_accept(
                        code=code, user=account, display_name=data["display_name"] or own_name
                    )
                else:
                    membership = services.invitation_accept(
                        code=code,
                        username=data["username"],
                        password=data["password1"],
                        email=data["email"],
                        display_name=data["display_name"],
                    )
            except ServiceError as exc:
                form.add_error(None, str(exc.message))
                status = _status_of(exc)
            else:
                if account is None:
                    login(request, membership.user, backend=LOGIN_BACKEND)
                messages.success(
                    request,
                    _("Welcome to %(circle)s! Start with your card.") % {"circle": invitation.circle.name},
                )
                return redirect(reverse("circles:card_edit", kwargs={"slug": invitation.circle.slug}))
        else:
            status = 400
    context = {
        "invitation": invitation,
        "code": code,
        "inviter": invitation.sponsor.card.display_name,
        "invitee": nomination.name,
        "invited_circle": invitation.circle,
        "form": form,
        "signed_in": account is not None,
        "error": error,
    }
    return render(request, "invitations/accept.html", context, status=status)
