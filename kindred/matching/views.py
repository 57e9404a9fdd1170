"""Matching pages: people you should meet (and the organizer's pairs), introductions, contacts and
invite suggestions. Every POST redirects back with a message; a refusal shows the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kindred.circles.access import membership_or_404
from kindred.circles.models import Membership
from kindred.circles.selectors import membership_get
from kindred.core.fragments import CSRF_SLOT, fragment, with_csrf
from kindred.core.services import NotFound, PermissionDenied, ServiceError
from kindred.notifications import selectors as notification_selectors
from kindred.notifications.services import notifications_mark_read

from . import selectors, services
from .forms import ContactsImportForm, IntroProposeForm, IntroRequestForm, NominateContactForm
from .models import INTRO_NOTE_MAX_LENGTH, Contact


def _ctx(me: Membership, **extra: Any) -> dict[str, Any]:
    return {"circle": me.circle, "membership": me, **extra}


def _form_error(form: Any) -> str:
    return " ".join(str(e) for errs in form.errors.values() for e in errs)


def _cached(name: str, version: tuple | None, render_html: Callable[[], str]) -> str:
    """A list of matches, kept under the computed state it was read from (its fingerprint: the cards, the
    ties, introductions and suppressions it depends on; and when it was computed). While a recompute is
    due (`version` None: the names may have changed since), rendered afresh."""
    return render_html() if version is None else fragment(name, version, render_html)


@login_required
@require_GET
def matches(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_or_404(request, slug)
    circle = me.circle
    state, updating = services.matches_current(circle=circle)  # never recomputes in the request
    version = (
        None if updating or state is None else (circle.slug, state.pk, state.fingerprint, state.computed_at)
    )
    base = {"circle": circle, "csrf_token": CSRF_SLOT}

    def render_matches() -> str:
        views = selectors.matches_for(membership=me)
        return render_to_string(
            "matching/_matches.html", {**base, "matches": views, "note_max": INTRO_NOTE_MAX_LENGTH}
        )

    def render_pairs() -> str:
        return render_to_string(
            "matching/_pairs.html", {**base, "pairs": selectors.organizer_pairs(circle=circle)}
        )

    mine = _cached("matching.matches", version and (me.pk, *version), render_matches)
    pairs = _cached("matching.pairs", version, render_pairs) if me.can_review else ""
    return render(
        request,
        "matching/matches.html",
        _ctx(
            me,
            matches_html=with_csrf(request, mine),
            pairs_html=with_csrf(request, pairs),
            state=state,
            updating=updating,
        ),
    )


@login_required
@require_GET
def intros(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_or_404(request, slug)
    # The unread introduction notices of the member's inbox: answered here, so shown here and read.
    notices = notification_selectors.inbox(member=me, app="matching", unread_only=True)
    response = render(
        request,
        "matching/intros.html",
        _ctx(me, intros=selectors.intros_for(membership=me), notices=notices),
    )
    if notices:
        notifications_mark_read(member=me, ids=[n.id for n in notices])
    return response


def _done(request: HttpRequest, slug: str, *, ok: bool, message: str, to: str) -> HttpResponse:
    (messages.success if ok else messages.error)(request, message)
    return redirect(to, slug=slug)


def _back(request: HttpRequest, slug: str, default: str) -> str:
    """The page the form came from (a member's card, the matches), when it is one of this site's."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default, kwargs={"slug": slug})


def _refused(request: HttpRequest, me: Membership, message: str, back: str) -> HttpResponse:
    """A refused request: 400, the reason, and the way back to the page the form was on (nothing changed)."""
    return render(request, "matching/refused.html", _ctx(me, message=message, back=back), status=400)


@login_required
@require_POST
def intro_request(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_or_404(request, slug)
    form = IntroRequestForm(request.POST)
    back = _back(request, slug, "matching:matches")
    if not form.is_valid():
        return _refused(request, me, _form_error(form), back)
    try:
        target = membership_get(circle=me.circle, member_id=form.cleaned_data["to_member_id"])
        via_id = form.cleaned_data["via_member_id"]
        via = membership_get(circle=me.circle, member_id=via_id) if via_id else None
        intro = services.intro_request(requester=me, target=target, via=via, note=form.cleaned_data["note"])
    except ServiceError as exc:
        return _refused(request, me, str(exc.message), back)
    name = intro.connector.card.display_name
    message = (
        _("Asked. %(name)s will look at it first.") % {"name": name}
        if intro.connector_id != me.pk
        else _("Asked. %(name)s will be asked to accept.") % {"name": target.card.display_name}
    )
    return _done(request, slug, ok=True, message=message, to="matching:intros")


@login_required
@require_POST
def intro_propose(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_or_404(request, slug)
    if not me.can_review:
        raise Http404
    form = IntroProposeForm(request.POST)
    if not form.is_valid():
        return _done(request, slug, ok=False, message=_form_error(form), to="matching:matches")
    try:
        member = membership_get(circle=me.circle, member_id=form.cleaned_data["member_id"])
        other = membership_get(circle=me.circle, member_id=form.cleaned_data["other_id"])
        services.intro_propose(organizer=me, member=member, other=other, note=form.cleaned_data["note"])
    except ServiceError as exc:
        return _done(request, slug, ok=False, message=str(exc.message), to="matching:matches")
    return _done(request, slug, ok=True, message=_("Proposed. Both will be asked."), to="matching:intros")


def _intro_action(action: Callable[..., Any], done: Any) -> Callable[[HttpRequest, str, int], HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, slug: str, intro_id: int) -> HttpResponse:
        me = membership_or_404(request, slug)
        try:
            found = selectors.intro_get_for_member(membership=me, intro_id=intro_id)
            action(intro=found.intro, member=me)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except PermissionDenied as exc:
            return _done(request, slug, ok=False, message=str(exc.message), to="matching:intros")
        except ServiceError as exc:
            return _done(request, slug, ok=False, message=str(exc.message), to="matching:intros")
        return _done(request, slug, ok=True, message=str(done), to="matching:intros")

    return view


intro_approve = _intro_action(services.intro_approve, gettext_lazy("Approved."))
intro_accept = _intro_action(services.intro_accept, gettext_lazy("Accepted."))
intro_decline = _intro_action(services.intro_decline, gettext_lazy("Declined. Nobody is told who declined."))


def _withdrawable(request: HttpRequest, me: Membership, intro_id: int) -> selectors.IntroView:
    try:
        found = selectors.intro_get_for_member(membership=me, intro_id=intro_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    if not found.can_withdraw:
        raise PermissionDenied(_("Only the member who asked can withdraw."), code="not_requester")
    return found


def _withdraw_step(request: HttpRequest, slug: str, intro_id: int, *, confirmed: bool) -> HttpResponse:
    """The confirmation page, or (once confirmed) the withdrawal; a refusal redirects with the reason."""
    me = membership_or_404(request, slug)
    try:
        found = _withdrawable(request, me, intro_id)
        if not confirmed:
            return render(request, "matching/withdraw_confirm.html", _ctx(me, v=found))
        services.intro_withdraw(intro=found.intro, member=me)
    except ServiceError as exc:
        return _done(request, slug, ok=False, message=str(exc.message), to="matching:intros")
    return _done(request, slug, ok=True, message=_("Withdrawn."), to="matching:intros")


@login_required
@require_GET
def intro_withdraw_confirm(request: HttpRequest, slug: str, intro_id: int) -> HttpResponse:
    """The confirmation step before withdrawing (a page: it works without JavaScript)."""
    return _withdraw_step(request, slug, intro_id, confirmed=False)


@login_required
@require_POST
def intro_withdraw(request: HttpRequest, slug: str, intro_id: int) -> HttpResponse:
    """Withdraw, once confirmed (`confirm=yes`, sent by the confirmation page); without it, that page."""
    return _withdraw_step(request, slug, intro_id, confirmed=request.POST.get("confirm") == "yes")


@login_required
@require_http_methods(["GET", "POST"])
def contacts(request: HttpRequest, slug: str) -> HttpResponse:
    me = membership_or_404(request, slug)
    form = ContactsImportForm()
    errors: list[tuple[int, str]] = []
    status = 200
    if request.method == "POST":
        form = ContactsImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.contacts_import(
                    owner=request.user,  # type: ignore[arg-type]
                    filename=upload.name,
                    data=upload.read(services.CONTACTS_FILE_MAX_BYTES + 1),
                )
            except services.ImportRefused as exc:
                messages.error(request, str(exc.message))
                errors = [(e.row, services.row_error_text(e)) for e in exc.errors]
                status = 400
            except ServiceError as exc:
                messages.error(request, str(exc.message))
                status = 400
            else:
                messages.success(
                    request,
                    _("Imported %(n)d contacts (%(d)d already there).")
                    % {"n": result.created, "d": result.duplicates},
                )
                known = selectors.contacts_in_circle(membership=me)
                if known:
                    messages.info(
                        request,
                        _("Already members of the circle: %(names)s. Say you know them below.")
                        % {"names": "、".join(k.member.card.display_name for k in known)},
                    )
                return redirect("matching:contacts", slug=slug)
        else:
            status = 400
    return render(
        request,
        "matching/contacts.html",
        _ctx(
            me,
            form=form,
            errors=errors,
            contacts=selectors.contacts_of(user=request.user),
            known=selectors.contacts_in_circle(membership=me),
        ),
        status=status,
    )


@login_required
@require_GET
def invite_suggestions(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    me = membership_or_404(request, slug)
    try:
        member = membership_get(circle=me.circle, member_id=member_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    suggestions = selectors.invite_suggestions(owner=request.user, member=member)
    return render(
        request, "matching/invite_suggestions.html", _ctx(me, member=member, suggestions=suggestions)
    )


@login_required
@require_POST
def contact_nominate(request: HttpRequest, slug: str, contact_id: int) -> HttpResponse:
    me = membership_or_404(request, slug)
    contact = Contact.objects.filter(pk=contact_id, owner_id=request.user.pk).first()
    form = NominateContactForm(request.POST)
    if contact is None:
        raise Http404
    if not form.is_valid():
        return _done(request, slug, ok=False, message=_form_error(form), to="matching:contacts")
    try:
        member = membership_get(circle=me.circle, member_id=form.cleaned_data["member_id"])
        terms = next(
            (
                s.terms
                for s in selectors.invite_suggestions(owner=request.user, member=member)
                if s.contact.pk == contact.pk
            ),
            (),
        )
        reason = _("Their business overlaps %(member)s's: %(terms)s.") % {
            "member": member.card.display_name,
            "terms": "、".join(terms) or "—",
        }
        services.contact_nominate(nominator=me, contact=contact, member=member, reason=reason)
    except ServiceError as exc:
        return _done(request, slug, ok=False, message=str(exc.message), to="matching:contacts")
    return _done(
        request,
        slug,
        ok=True,
        message=_("Nominated %(name)s.") % {"name": contact.name},
        to="matching:contacts",
    )
