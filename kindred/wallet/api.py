"""The wallet API: balance and entries, top-ups and withdrawals (simulated provider), red envelopes.

Envelopes are circle-scoped: anyone who is not an active member of the envelope's circle gets 404.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Header, Path, Query, Router, Status
from ninja.errors import AuthenticationError
from ninja.renderers import JSONRenderer

from kindred.accounts.auth import TOKEN_TOUCH_INTERVAL_SECONDS, BearerTokenAuth, SessionCookieAuth
from kindred.circles.models import Membership
from kindred.circles.selectors import membership_for_circle, membership_get
from kindred.core.schemas import ERRORS
from kindred.core.tokens import token_hash

from . import selectors, services
from .greeting import greeting_status
from .models import IDEMPOTENCY_KEY_MAX_LENGTH, Envelope, Payment
from .providers import get_provider
from .schemas import (
    MAX_ID,
    EntryOut,
    EnvelopeIn,
    EnvelopeListOut,
    EnvelopeOut,
    EnvelopeSummaryOut,
    GrabOut,
    GrabResultOut,
    MemberRefOut,
    PageQuery,
    PaymentOut,
    TopupIn,
    WaiverOut,
    WalletOut,
    WalletSettingsIn,
    WalletSettingsOut,
    WithdrawalIn,
)

router = Router(tags=["wallet"])

EnvelopeId = Annotated[int, Path(ge=1, le=MAX_ID)]
MemberId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _member_ref(m: Membership) -> MemberRefOut:
    return MemberRefOut(member_id=m.pk, display_name=m.card.display_name)


def _payment_out(payment: Payment, balance: int) -> PaymentOut:
    return PaymentOut(
        id=payment.pk,
        provider=payment.provider,
        simulated=get_provider(payment.provider).simulated,
        reference=payment.reference,
        direction=payment.direction,  # type: ignore[arg-type]
        amount_fen=payment.amount_fen,
        status=payment.status,  # type: ignore[arg-type]
        settled_at=payment.settled_at,
        balance_fen=balance,
        created_at=payment.created_at,
    )


# The same key and body return the first result; printable ASCII, as HTTP headers are.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        None,
        alias="Idempotency-Key",
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        pattern=r"^[ -~]*$",
        description="The same key and body return the first result; the same key with another body: 422.",
    ),
]


def _idempotency_mismatch(exc: services.IdempotencyMismatch) -> Status[Any]:
    item = {"loc": ["header", "Idempotency-Key"], "msg": str(exc.message), "type": exc.code}
    return Status(422, {"detail": [item]})


def fresh(envelope: Envelope) -> Envelope:
    """Expire an envelope read after its expiry (the sweeper may not have come by yet)."""
    if envelope.status == Envelope.Status.OPEN and timezone.now() >= envelope.expires_at:
        services.envelope_expire(envelope=envelope)
    return envelope


def envelope_out(view: selectors.EnvelopeView) -> EnvelopeOut:
    env = view.envelope
    mine = view.mine
    return EnvelopeOut(
        id=env.pk,
        circle=view.viewer.circle.slug,
        sender=_member_ref(env.sender),
        mode=env.mode,  # type: ignore[arg-type]
        total_fen=env.total_fen,
        share_count=env.share_count,
        greeting=env.greeting,
        is_greeting=env.is_greeting,
        status=env.status,  # type: ignore[arg-type]
        created_at=env.created_at,
        expires_at=env.expires_at,
        grabbed_count=len(view.grabs),
        grabbed_fen=view.claimed_fen,
        remaining_shares=view.unclaimed_shares,
        refunded_fen=env.refunded_fen,
        my_amount_fen=mine.share.amount_fen if mine else None,
        can_grab=view.can_grab,
        grabs=[
            GrabOut(
                member=_member_ref(g.member),
                amount_fen=g.share.amount_fen,
                grabbed_at=g.share.claimed_at,  # type: ignore[arg-type]
                luckiest=g.luckiest,
            )
            for g in view.grabs
        ],
    )


# --- Wallet ----------------------------------------------------------------------------------------


@router.get("/wallet", response={200: WalletOut, **ERRORS}, summary="My wallet")
def wallet(request: HttpRequest, query: Query[PageQuery]) -> WalletOut:
    """The balance and one page of entries, newest first."""
    page = selectors.wallet_page(user=request.user, page=query.page)  # type: ignore[arg-type]
    pay = services.provider()
    return WalletOut(
        balance_fen=page.balance_fen,
        provider=pay.name,
        simulated=pay.simulated,
        page=page.page,
        has_next=page.has_next,
        entries=[
            EntryOut(
                id=e.id,
                amount_fen=e.amount_fen,
                kind=e.kind,
                kind_label=e.kind_label,
                description=e.description,
                envelope_id=e.envelope_id,
                created_at=e.at,
            )
            for e in page.entries
        ],
    )


@router.post(
    "/wallet/topups", response={201: PaymentOut, 200: PaymentOut, **ERRORS}, summary="Top up (simulated)"
)
def topup(request: HttpRequest, payload: TopupIn) -> Status[PaymentOut]:
    """Top up through the payment provider (the simulated one by default: no real money moves).
    201 for a new top-up; 200 with the first one when its reference was booked before."""
    result = services.topup_create(
        user=request.user,  # type: ignore[arg-type]
        amount_fen=payload.amount_fen,
        reference=payload.reference,
    )
    balance = selectors.wallet_balance(user=request.user)  # type: ignore[arg-type]
    return Status(201 if result.created else 200, _payment_out(result.payment, balance))


@router.post(
    "/wallet/withdrawals",
    response={202: PaymentOut, 200: PaymentOut, **ERRORS},
    summary="Withdraw (simulated)",
)
def withdraw(
    request: HttpRequest, payload: WithdrawalIn, idempotency_key: IdempotencyKeyHeader = None
) -> Status[Any]:
    """Cash out of the wallet: the amount leaves the balance at once and the withdrawal is `pending`
    until the payment provider answers (`status`: completed, or refused and refunded to the wallet).
    202 for a new withdrawal (with its status so far); 200 with the first one when its Idempotency-Key
    was used before (nothing is booked again)."""
    try:
        result = services.withdrawal_create(
            user=request.user,  # type: ignore[arg-type]
            amount_fen=payload.amount_fen,
            idempotency_key=idempotency_key or "",
        )
    except services.IdempotencyMismatch as exc:
        return _idempotency_mismatch(exc)
    balance = selectors.wallet_balance(user=request.user)  # type: ignore[arg-type]
    return Status(202 if result.created else 200, _payment_out(result.payment, balance))


# --- Envelopes -------------------------------------------------------------------------------------


def _request_hash(slug: str, payload: EnvelopeIn) -> str:
    body = json.dumps({"slug": slug, **payload.dict()}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


@router.post(
    "/circles/{slug}/envelopes", response={201: EnvelopeOut, **ERRORS}, summary="Send a red envelope"
)
def send(
    request: HttpRequest,
    slug: str,
    payload: EnvelopeIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Send a red envelope to the circle from your wallet: lucky (拼手气) or equal shares."""
    me = membership_for_circle(user=request.user, slug=slug)
    try:
        envelope = services.envelope_send(
            sender=me,
            total_fen=payload.total_fen,
            shares=payload.shares,
            mode=payload.mode,
            greeting=payload.greeting,
            idempotency_key=idempotency_key or "",
            request_hash=_request_hash(slug, payload),
        )
    except services.IdempotencyMismatch as exc:
        return _idempotency_mismatch(exc)
    envelope, viewer = selectors.envelope_membership(user=request.user, envelope_id=envelope.pk)
    return Status(201, envelope_out(selectors.envelope_view(envelope=envelope, viewer=viewer)))


@router.get("/circles/{slug}/envelopes", response={200: EnvelopeListOut, **ERRORS}, summary="Envelopes")
def envelope_list(request: HttpRequest, slug: str, query: Query[PageQuery]) -> EnvelopeListOut:
    """The circle's red envelopes, newest first; a newcomer's greeting is marked `is_greeting`."""
    me = membership_for_circle(user=request.user, slug=slug)
    listing = selectors.circle_envelopes(circle=me.circle, viewer=me, page=query.page)
    status = greeting_status(membership=me, rules=selectors.rules_for(circle=me.circle))
    return EnvelopeListOut(
        page=listing.page,
        has_next=listing.has_next,
        greeting_status=status,  # type: ignore[arg-type]
        envelopes=[
            EnvelopeSummaryOut(
                id=s.id,
                sender=MemberRefOut(member_id=s.sender_id, display_name=s.sender_name),
                mode=s.mode,  # type: ignore[arg-type]
                total_fen=s.total_fen,
                share_count=s.share_count,
                greeting=s.greeting,
                is_greeting=s.is_greeting,
                status=s.status,  # type: ignore[arg-type]
                created_at=s.created_at,
                expires_at=s.expires_at,
                grabbed_count=s.claimed_count,
                my_amount_fen=s.my_amount_fen,
            )
            for s in listing.items
        ],
    )


@router.get("/envelopes/{envelope_id}", response={200: EnvelopeOut, **ERRORS}, summary="A red envelope")
def envelope_detail(request: HttpRequest, envelope_id: EnvelopeId) -> EnvelopeOut:
    envelope, me = selectors.envelope_membership(user=request.user, envelope_id=envelope_id)
    fresh(envelope)
    return envelope_out(selectors.envelope_view(envelope=envelope, viewer=me))


_JSON_TYPE = f"{JSONRenderer.media_type}; charset={JSONRenderer.charset}"  # the API's renderer's


class _TokenSeen:
    """A Bearer token not checked yet: the grab checks it in its own statement (`_GrabBearerAuth`)."""

    __slots__ = ("digest",)

    def __init__(self, raw: str) -> None:
        self.digest = token_hash(raw)


class _GrabBearerAuth(BearerTokenAuth):
    """The grab's Bearer auth: the token is checked by the grab's one statement (`envelope_grab_answer`,
    with accounts' rule and touch interval), not read apart first. Whenever that statement does not grab,
    the view authenticates as the API does (`_authenticate`) before anything else: an unknown token is the
    API's 401, a session cookie beside it is tried next, and a refusal is worded for the caller."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return _TokenSeen(token)


_GrabBearerAuth.__name__ = BearerTokenAuth.__name__  # one Bearer scheme in the OpenAPI document
_API_AUTHS = (BearerTokenAuth(), SessionCookieAuth())  # kindred.api's, in its order


def _authenticate(request: HttpRequest) -> None:
    for auth in _API_AUTHS:
        if auth(request):
            return
    raise AuthenticationError


@router.post(
    "/envelopes/{envelope_id}/grab",
    response={200: GrabResultOut, **ERRORS},
    summary="Grab a red envelope",
    auth=[_GrabBearerAuth(), SessionCookieAuth()],
)
def grab(request: HttpRequest, envelope_id: EnvelopeId) -> GrabResultOut | HttpResponse:
    """Grab one share: the amount, and the grabs so far. 409 for a second grab, 410 when it is empty or
    has expired, 403 for the sender (unless the circle allows it)."""
    # On PostgreSQL one statement checks the caller's token, grabs and writes the answer (GrabResultOut's
    # JSON: a test holds it equal to the general path's). Anything but a grab takes the general path,
    # which authenticates as the whole API does, finds the same reason and words it.
    token = request.auth if isinstance(request.auth, _TokenSeen) else None  # type: ignore[attr-defined]
    answer = services.envelope_grab_answer(
        envelope_id=envelope_id,
        user_id=None if token else request.user.pk,
        token_hash=token.digest if token else None,
        token_touch_seconds=TOKEN_TOUCH_INTERVAL_SECONDS,
    )
    if answer is not None and answer.outcome == "ok":
        return HttpResponse(answer.body, content_type=_JSON_TYPE)
    if token is not None:
        _authenticate(request)
    envelope, me = selectors.envelope_membership(user=request.user, envelope_id=envelope_id)
    share = services.envelope_grab(envelope=envelope, member=me)
    return GrabResultOut(
        amount_fen=share.amount_fen,
        envelope=envelope_out(selectors.envelope_view(envelope=envelope, viewer=me)),
    )


# --- Circle rules ----------------------------------------------------------------------------------


def _settings_out(row: Any) -> WalletSettingsOut:
    return WalletSettingsOut(
        sender_may_grab=row.sender_may_grab,
        greeting_rule=row.greeting_rule,
        greeting_min_total_fen=row.greeting_min_total_fen,
        greeting_min_shares=row.greeting_min_shares,
        required_since=row.required_since,
    )


@router.get(
    "/circles/{slug}/envelope-settings", response={200: WalletSettingsOut, **ERRORS}, summary="Envelope rules"
)
def settings_get(request: HttpRequest, slug: str) -> WalletSettingsOut:
    me = membership_for_circle(user=request.user, slug=slug)
    return _settings_out(selectors.rules_for(circle=me.circle))


@router.put(
    "/circles/{slug}/envelope-settings",
    response={200: WalletSettingsOut, **ERRORS},
    summary="Change the envelope rules (organizer)",
)
def settings_put(request: HttpRequest, slug: str, payload: WalletSettingsIn) -> WalletSettingsOut:
    me = membership_for_circle(user=request.user, slug=slug)
    row = services.circle_settings_update(circle=me.circle, actor=me, **payload.dict())
    return _settings_out(row)


@router.post(
    "/circles/{slug}/greetings/{member_id}/waive",
    response={200: WaiverOut, **ERRORS},
    summary="Excuse a member from the greeting envelope (organizer)",
)
def waive(request: HttpRequest, slug: str, member_id: MemberId) -> WaiverOut:
    me = membership_for_circle(user=request.user, slug=slug)
    other = membership_get(circle=me.circle, member_id=member_id)
    waiver = services.greeting_waive(membership=other, actor=me)
    return WaiverOut(member_id=other.pk, waived_at=waiver.created_at)
