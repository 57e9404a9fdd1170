"""Wallet pages: the wallet (balance, simulated top-up and withdrawal, entries), a circle's envelopes, sending,
opening with the reveal (HTMX), and the organizer's envelope rules. Thin: services and selectors do the work.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kindred.circles.access import circle_view
from kindred.circles.models import Membership
from kindred.circles.selectors import membership_get
from kindred.core.fragments import CSRF_SLOT, fragment, with_csrf
from kindred.core.money import fen_to_yuan, to_fen, yuan_decimal
from kindred.core.services import NotFound, ServiceError

from . import selectors, services
from .api import fresh
from .forms import EnvelopeForm, TopupForm, WalletSettingsForm, WithdrawForm
from .greeting import greeting_status
from .models import Envelope, Payment


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _context(me: Membership, **extra: Any) -> dict[str, Any]:
    return {"circle": me.circle, "membership": me, **extra}


def _errors(form: Any) -> str:
    return " ".join(str(e) for errs in form.errors.values() for e in errs)


# --- The wallet ------------------------------------------------------------------------------------


def _page_number(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("page", "1"))
    except ValueError:
        return 1


# Slots of the kept wallet body for what each page load makes anew (with the CSRF token's CSRF_SLOT).
_REFERENCE_SLOT = "__kindred_topup_reference_slot__"
_KEY_SLOT = "__kindred_withdraw_key_slot__"


def _body(page: selectors.WalletPage, simulated: bool) -> str:
    def render_body() -> str:
        rows = [
            (e, reverse("wallet:envelope", args=[e.circle_slug, e.envelope_id]) if e.envelope_id else "")
            for e in page.entries
        ]
        context = {
            "wallet": page,
            "rows": rows,
            "simulated": simulated,
            "csrf_token": CSRF_SLOT,
            "topup_reference": _REFERENCE_SLOT,
            "withdraw_key": _KEY_SLOT,
        }
        return render_to_string("wallet/_home.html", context)

    # Every value the body shows is in its key: the balance, each pending withdrawal, each entry (a
    # withdrawal's status, a renamed sender or circle), the page.
    shown = (
        page.balance_fen,
        [(p.pk, p.amount_fen, p.status, p.created_at) for p in page.pending_withdrawals],
        [tuple(vars(e).values()) for e in page.entries],
        page.page,
        page.has_next,
        simulated,
    )
    return fragment("wallet.home", (repr(shown),), render_body)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    page = selectors.wallet_page(user=_user(request), page=_page_number(request))
    pay = services.provider()
    kept = with_csrf(request, _body(page, pay.simulated))
    # The hidden fields of TopupForm and WithdrawForm, new on every load: a double-submitted form books once.
    body = kept.replace(_REFERENCE_SLOT, escape(pay.new_reference())).replace(_KEY_SLOT, uuid.uuid4().hex)
    return render(request, "wallet/home.html", {"content": mark_safe(body)})  # noqa: S308 (escaped)


@login_required
@require_POST
def topup(request: HttpRequest) -> HttpResponse:
    form = TopupForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("wallet:home")
    try:
        result = services.topup_create(
            user=_user(request),
            amount_fen=to_fen(form.cleaned_data["amount"]),
            reference=form.cleaned_data["reference"],
        )
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return redirect("wallet:home")
    if result.created:
        messages.success(
            request,
            _("Topped up %(amount)s yuan (simulated payment).")
            % {"amount": fen_to_yuan(result.payment.amount_fen)},
        )
    else:
        messages.info(request, _("This top-up was already made; nothing was added again."))
    return redirect("wallet:home")


@login_required
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("wallet:home")
    key = form.cleaned_data["idempotency_key"]
    try:
        result = services.withdrawal_create(
            user=_user(request),
            amount_fen=to_fen(form.cleaned_data["amount"]),
            # A double-submitted form cashes out once (the key is the form's).
            idempotency_key=f"form:{key}" if key else "",
        )
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return redirect("wallet:home")
    payment = result.payment
    amount = {"amount": fen_to_yuan(payment.amount_fen)}
    if not result.created:
        messages.info(request, _("This cash-out was already requested; nothing was taken again."))
    elif payment.status == Payment.Status.COMPLETED:
        messages.success(request, _("Withdrew %(amount)s yuan (simulated payment).") % amount)
    elif payment.status == Payment.Status.REFUSED:
        messages.error(
            request,
            _("The payment provider declined the cash-out of %(amount)s yuan; it is back in your wallet.")
            % amount,
        )
    else:
        messages.info(
            request,
            _("Cash-out of %(amount)s yuan requested: pending until the payment provider confirms.") % amount,
        )
    return redirect("wallet:home")


# --- Envelopes -------------------------------------------------------------------------------------


@circle_view
@require_GET
def circle_envelopes(request: HttpRequest, me: Membership) -> HttpResponse:
    rules = selectors.rules_for(circle=me.circle)
    listing = selectors.circle_envelopes(circle=me.circle, viewer=me, page=_page_number(request))
    status = greeting_status(membership=me, rules=rules)
    # The page's body, rendered once per what it shows: every value of every card (the viewer's own grab
    # and whether it is still open included), the page, the greeting banner and the organizer's link.
    shown = (
        [(*vars(s).values(), s.is_open) for s in listing.items],
        listing.page,
        listing.has_next,
        status,
        (rules.greeting_min_total_fen, rules.greeting_min_shares) if status else None,
        me.is_organizer,
    )
    context = {"circle": me.circle, "listing": listing, "rules": rules, "greeting_status": status}
    content = fragment(
        "wallet.circle_envelopes",
        (me.circle.slug, repr(shown)),
        lambda: render_to_string("wallet/_circle.html", {**context, "is_organizer": me.is_organizer}),
    )
    return render(request, "wallet/circle.html", _context(me, content=content))


@circle_view
def send(request: HttpRequest, me: Membership) -> HttpResponse:
    balance = selectors.wallet_balance(user=_user(request))
    if request.method == "POST":
        form = EnvelopeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            key = data["idempotency_key"]
            try:
                envelope = services.envelope_send(
                    sender=me,
                    total_fen=to_fen(data["total"]),
                    shares=data["shares"],
                    mode=data["mode"],
                    greeting=data["greeting"],
                    # A double-submitted form sends the envelope once (the key is the form's).
                    idempotency_key=f"form:{key}" if key else "",
                    request_hash=key,
                )
            except ServiceError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Your red envelope is out."))
                return redirect("wallet:envelope", me.circle.slug, envelope.pk)
        status = 400
    else:
        form = EnvelopeForm(initial={"idempotency_key": uuid.uuid4().hex})
        status = 200
    rules = selectors.rules_for(circle=me.circle)
    context = _context(
        me,
        form=form,
        balance_fen=balance,
        rules=rules,
        greeting_status=greeting_status(membership=me, rules=rules),
    )
    return render(request, "wallet/send.html", context, status=status)


def _envelope_of(me: Membership, envelope_id: int) -> Envelope:
    envelope, _viewer = selectors.envelope_membership(user=me.user, envelope_id=envelope_id)
    if envelope.circle_id != me.circle_id:
        raise NotFound(_("Red envelope not found."))
    return envelope


@circle_view
@require_GET
def envelope(request: HttpRequest, me: Membership, envelope_id: int) -> HttpResponse:
    env = fresh(_envelope_of(me, envelope_id))
    view = selectors.envelope_view(envelope=env, viewer=me)
    return render(request, "wallet/envelope.html", _context(me, view=view, just_opened=False))


@circle_view
@require_POST
def grab(request: HttpRequest, me: Membership, envelope_id: int) -> HttpResponse:
    env = _envelope_of(me, envelope_id)
    error = ""
    try:
        services.envelope_grab(envelope=env, member=me)
    except NotFound:
        raise
    except ServiceError as exc:
        error = str(exc.message)
    if request.htmx:  # type: ignore[attr-defined]
        view = selectors.envelope_view(envelope=env, viewer=me)
        return render(
            request, "wallet/_envelope_box.html", _context(me, view=view, just_opened=not error, error=error)
        )
    if error:
        messages.error(request, error)
    return redirect("wallet:envelope", me.circle.slug, env.pk)


# --- The organizer's rules -------------------------------------------------------------------------


@circle_view
def circle_settings(request: HttpRequest, me: Membership) -> HttpResponse:
    if not me.is_organizer:
        raise Http404(_("Page not found."))
    rules = selectors.rules_for(circle=me.circle)
    status = 200
    if request.method == "POST":
        form = WalletSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.circle_settings_update(
                    circle=me.circle,
                    actor=me,
                    sender_may_grab=data["sender_may_grab"],
                    greeting_rule=data["greeting_rule"],
                    greeting_min_total_fen=to_fen(data["greeting_min_total"]),
                    greeting_min_shares=data["greeting_min_shares"],
                )
            except ServiceError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Envelope rules saved."))
                return redirect("wallet:settings", me.circle.slug)
        status = 400
    else:
        form = WalletSettingsForm(
            initial={
                "sender_may_grab": rules.sender_may_grab,
                "greeting_rule": rules.greeting_rule,
                "greeting_min_total": yuan_decimal(rules.greeting_min_total_fen),
                "greeting_min_shares": rules.greeting_min_shares,
            }
        )
    owing = selectors.members_owing_greeting(circle=me.circle, rules=rules)
    return render(request, "wallet/settings.html", _context(me, form=form, owing=owing), status=status)


@circle_view
@require_POST
def waive(request: HttpRequest, me: Membership, member_id: int) -> HttpResponse:
    other = membership_get(circle=me.circle, member_id=member_id)
    try:
        services.greeting_waive(membership=other, actor=me)
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("%(name)s no longer owes a greeting envelope.") % {"name": other.card.display_name}
        )
    target = "wallet:settings" if me.is_organizer else "wallet:circle"
    return redirect(reverse(target, args=[me.circle.slug]))
