"""Circle pages: thin views over the services and selectors. A non-member sees a 404 for every circle page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kindred.core.fragments import CSRF_SLOT, Part, fragment, with_csrf
from kindred.core.services import ServiceError

from . import selectors, services
from .access import circle_view, removal_confirmation
from .forms import (
    CardForm,
    CircleCreateForm,
    CircleSettingsForm,
    DirectoryFilterForm,
    IndustryAddForm,
    NoteForm,
    RemoveForm,
    RoleForm,
)
from .models import Membership
from .templatetags.cards import directory_cards, directory_filter_options, member_card_html


def _context(membership: Membership, **extra: Any) -> dict[str, Any]:
    return {"circle": membership.circle, "membership": membership, **extra}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _attempt(form: BaseForm, action: Callable[[], Any]) -> bool:
    """Run a service for a valid form; a refusal becomes a form error. True when it went through."""
    if not form.is_valid():
        return False
    try:
        action()
    except ServiceError as exc:
        form.add_error(None, str(exc.message))
        return False
    return True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = selectors.circle_list_for_user(user=_user(request))
    counts = selectors.circle_member_counts(circle_ids=[m.circle_id for m in memberships])
    rows = [(m, counts.get(m.circle_id, 0)) for m in memberships]
    return render(request, "circles/home.html", {"rows": rows})


@login_required
def create(request: HttpRequest) -> HttpResponse:
    form = CircleCreateForm(request.POST or None)
    created: list[Any] = []
    if request.method == "POST":
        user = _user(request)

        def action() -> None:
            data = dict(form.cleaned_data)
            theme = data.pop("theme")
            created.append(
                services.circle_create(
                    creator=user,
                    name=data.pop("name"),
                    slug=data.pop("slug"),
                    description=data.pop("description"),
                    values_statement=data.pop("values_statement"),
                    theme_code=theme.code if theme else None,
                    display_name=data.pop("display_name"),
                    **data,
                )
            )

        if _attempt(form, action):
            messages.success(request, _("Your circle is ready. You are its organizer."))
            return redirect("conversation:home", created[0].slug)
    return render(request, "circles/create.html", {"form": form})


@circle_view
def detail(request: HttpRequest, membership: Membership) -> HttpResponse:
    circle = membership.circle
    ctx = _context(membership, member_count=selectors.circle_member_count(circle=circle))
    return render(request, "circles/detail.html", ctx)


FILTERS = ("q", "city", "industry", "tag", "page")


@circle_view
def directory(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The directory; its body kept per viewer, search, filters and page under the circle's members_version
    (which every change to a card, a membership or a tie moves) and language."""
    circle = membership.circle
    form = DirectoryFilterForm(request.GET)
    # Card links are built from one reversed prefix, not a {% url %} per link (a page has a hundred).
    members_url = reverse("circles:directory", args=[circle.slug])
    htmx = bool(request.htmx)  # type: ignore[attr-defined]
    template = "circles/_directory_results.html" if htmx else "circles/_directory_body.html"
    ctx = _context(membership, form=form, members_url=members_url, page=None, error="")
    status = 200
    if form.is_valid():
        data = form.cleaned_data

        def render_body() -> str:
            page = selectors.directory_listing(
                viewer=membership,
                q=data["q"],
                city=data["city"],
                industry=data["industry"],
                tag=data["tag"],
                page=data["page"] or 1,
            )
            return render_to_string(template, _directory_context(ctx, page, htmx=htmx))

        typed = tuple(str(form[name].value() or "") for name in FILTERS)
        version: tuple[Part, ...] = (
            *selectors.members_version(circle),
            membership.pk,
            htmx,
            members_url,
            *typed,
        )
        try:
            body = fragment("circles.directory", version, render_body)
        except ServiceError as exc:
            ctx["error"], status = str(exc.message), 400
    else:
        ctx["error"], status = _("Check the search and filters."), 400
    if status != 200:
        body = render_to_string(template, _directory_context(ctx, None, htmx=htmx))
    if htmx:
        return HttpResponse(body, status=status)
    return render(request, "circles/directory.html", {**ctx, "body": body}, status=status)


def _directory_context(
    ctx: dict[str, Any], page: selectors.DirectoryListing | None, *, htmx: bool
) -> dict[str, Any]:
    circle, membership, form = ctx["circle"], ctx["membership"], ctx["form"]
    out = {**ctx, "page": page}
    if page is not None:
        out["base_query"] = "".join(f"{urlencode({k: v})}&" for k, v in page.filters.items() if v)
        out["cards"] = directory_cards(circle, page.roster, membership, page.ids, ctx["members_url"])
    if not htmx:
        roster = page.roster if page is not None else selectors.circle_roster(circle=circle)
        out["city_options"], out["industry_options"] = directory_filter_options(
            circle,
            roster,
            city=str(form["city"].value() or ""),
            industry=str(form["industry"].value() or ""),
        )
    return out


@circle_view
def member(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    circle = membership.circle
    view = selectors.member_page(viewer=membership, member_id=member_id)
    members_url = reverse("circles:directory", args=[circle.slug])
    ctx = _context(membership, view=view, members_url=members_url)
    ctx["card_html"] = member_card_html(circle, view.roster, member_id, members_url)
    # The ties part (the tie and introduction boxes read only ties, memberships and cards, which move the
    # circle's members_version: a test holds the boxes to those tables).
    path = request.get_full_path()
    version: tuple[Part, ...] = (*selectors.members_version(circle), membership.pk, member_id, path)
    ties_ctx = {**ctx, "m": view.membership, "request": request, "csrf_token": CSRF_SLOT}
    ties_html = fragment("circles.member_ties", version, lambda: render_to_string(MEMBER_TIES, ties_ctx))
    ctx["ties_html"] = with_csrf(request, ties_html)
    if membership.can_review:
        ctx["note_form"] = NoteForm(initial={"note": view.note or ""})
    target = view.membership
    if membership.is_organizer and target.role != Membership.Role.ORGANIZER and target.is_active:
        ctx["role_form"] = RoleForm(initial={"role": target.role})
        ctx["remove_form"] = RemoveForm()
    return render(request, "circles/member.html", ctx)


MEMBER_TIES = "circles/_member_ties.html"


MemberAction = Callable[[Membership, Membership, dict[str, Any]], Any]
MEMBER_ACTIONS: dict[str, tuple[type[BaseForm], MemberAction]] = {
    "note": (
        NoteForm,
        lambda actor, t, d: services.membership_note_set(membership=t, actor=actor, note=d["note"]),
    ),
    "role": (
        RoleForm,
        lambda actor, t, d: services.membership_role_set(membership=t, actor=actor, role=d["role"]),
    ),
    "remove": (
        RemoveForm,
        lambda actor, t, d: services.membership_remove(membership=t, actor=actor, reason=d["reason"]),
    ),
}


@require_POST
@circle_view
def member_action(request: HttpRequest, membership: Membership, member_id: int, action: str) -> HttpResponse:
    """The organizer's and admins' forms on a member's card; the services decide who may do what."""
    if not membership.can_review or (action == "remove" and not membership.is_organizer):
        raise Http404
    form_class, run = MEMBER_ACTIONS[action]
    form = form_class(request.POST)
    target = selectors.membership_get(circle=membership.circle, member_id=member_id)
    if action == "remove" and form.is_valid() and not form.cleaned_data["confirm"]:
        page = removal_confirmation(
            request,
            membership,
            target,
            reason=form.cleaned_data["reason"],
            back=reverse("circles:member", args=[membership.circle.slug, member_id]),
        )
        if page is not None:
            return page
    if _attempt(form, lambda: run(membership, target, form.cleaned_data)):
        messages.success(request, _("Saved."))
    else:
        errors = "; ".join(" ".join(str(m) for m in e) for e in form.errors.values())
        messages.error(request, errors or _("Check the form."))
    return redirect("circles:member", membership.circle.slug, member_id)


@circle_view
def card_edit(request: HttpRequest, membership: Membership) -> HttpResponse:
    card = membership.card
    form = CardForm(request.POST or None, instance=card, circle=membership.circle)
    if request.method == "POST":

        def action() -> None:
            data = form.cleaned_data
            fields = {k: v for k, v in data.items() if k not in ("industries", "offer_tags", "need_tags")}
            services.card_update(
                membership=membership,
                actor=_user(request),
                fields=fields,
                industry_codes=[i.code for i in data["industries"]],
                offer_tags=data["offer_tags"],
                need_tags=data["need_tags"],
            )

        if _attempt(form, action):
            messages.success(request, _("Your card is saved."))
            return redirect("circles:member", membership.circle.slug, membership.pk)
        card.refresh_from_db()
    return render(request, "circles/card_edit.html", _context(membership, form=form))


@circle_view
def settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    if not membership.is_organizer:
        raise DjangoPermissionDenied
    circle = membership.circle
    is_industry = request.method == "POST" and "add_industry" in request.POST
    form = CircleSettingsForm(
        request.POST if request.method == "POST" and not is_industry else None, instance=circle
    )
    industry_form = IndustryAddForm(request.POST if is_industry else None)
    if request.method == "POST" and not is_industry:
        user = _user(request)
        if _attempt(form, lambda: services.circle_update(circle=circle, actor=user, **form.cleaned_data)):
            messages.success(request, _("The circle's settings are saved."))
            return redirect("circles:settings", circle.slug)
        circle.refresh_from_db()
    if is_industry:

        def add() -> None:
            data = industry_form.cleaned_data
            parent = data["parent"]
            services.industry_add(
                circle=circle,
                actor=membership,
                name_zh=data["name_zh"],
                name_en=data["name_en"],
                synonyms=data["synonyms"],
                parent_code=parent.code if parent else None,
            )

        if _attempt(industry_form, add):
            messages.success(request, _("The industry is added."))
            return redirect(reverse("circles:settings", args=[circle.slug]) + "#industries")
    ctx = _context(
        membership,
        form=form,
        industry_form=industry_form,
        custom_industries=selectors.circle_industries(circle=circle),
    )
    return render(request, "circles/settings.html", ctx)
