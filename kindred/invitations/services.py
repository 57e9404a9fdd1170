"""Every state change of nominations and invitations.

The raw invitation code is returned once (to the reviewer who approves, and mailed to the nominee and the
nominator when they have an email); only its SHA-256 is stored. A lost link is re-issued by a reviewer:
the old invitation is revoked and a new one made for the same nomination.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import CARD_TEXT_MAX_LENGTH, Circle, MemberCard, Membership
from kindred.circles.services import membership_create
from kindred.core.services import Conflict, Gone, NotFound, PermissionDenied, ServiceError, audit_record
from kindred.core.text import clean_line, clean_text
from kindred.core.tokens import new_token
from kindred.notifications.services import mail_send
from kindred.ties.services import tie_record_sponsor

from .audit import Action
from .models import (
    CLOSENESS_MAX,
    CLOSENESS_MIN,
    CODE_BYTES,
    REASON_MAX_LENGTH,
    YEARS_KNOWN_MAX,
    Invitation,
    Nomination,
)
from .selectors import code_hash, invitation_for_code

# The parts of a member card a nominator may draft for their nominee.
DRAFT_CARD_FIELDS = ("company", "title", "city", "offers", "needs", "bio")
DRAFT_FIELD_MAX_LENGTH = {"company": 128, "title": 128, "city": 64}
NAME_MAX_LENGTH = 64
PHONE_MAX_LENGTH = 32
USERNAME_MAX_LENGTH = 150
SINGLE_LINE_MAX_LENGTH = 128
EMAIL_MAX_LENGTH = 254
DIRECT_CLOSENESS = 3  # an organizer's direct invitation records no closeness of its own: the middle


def invitation_url(code: str) -> str:
    return settings.SITE_URL + reverse("invitations:accept", kwargs={"code": code})


# --- rules -------------------------------------------------------------------------------------------


def nomination_refusal(*, membership: Membership, at: datetime | None = None) -> str | None:
    """Why `membership` may not nominate now under the circle's rules (None when they may).

    The pending cap is not part of it: it is checked under the lock in nomination_create."""
    circle = membership.circle
    if not membership.is_active:
        return gettext("Only active members may nominate.")
    if membership.can_review:
        return None
    if circle.nomination_policy == Circle.NominationPolicy.ORGANIZER_ONLY:
        return gettext("In this circle only the organizer and admins nominate new members.")
    now = at or timezone.now()
    allowed_from = membership.joined_at + timedelta(days=circle.nominate_after_days)
    if now < allowed_from:
        return gettext("Members may nominate %(days)d days after joining; you may from %(date)s.") % {
            "days": circle.nominate_after_days,
            "date": timezone.localtime(allowed_from).strftime("%Y-%m-%d"),
        }
    return None


def _require_reviewer(reviewer: Membership, circle_id: int) -> None:
    if reviewer.circle_id != circle_id or not reviewer.can_review:
        raise PermissionDenied(_("Only the organizer and admins review nominations."))


def _clean_text(value: Any, *, label: Any, max_length: int, required: bool = False) -> str:
    """The text rule of kindred.core.text; short fields (names, titles, cities) are one line."""
    return clean_text(
        value,
        label=label,
        max_length=max_length,
        required=required,
        one_line=max_length <= SINGLE_LINE_MAX_LENGTH,
    )


def _clean_draft(draft_card: dict[str, Any] | None) -> dict[str, str]:
    draft = dict(draft_card or {})
    unknown = set(draft) - set(DRAFT_CARD_FIELDS)
    if unknown:
        raise ServiceError(_("Unknown card fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    out: dict[str, str] = {}
    for key in DRAFT_CARD_FIELDS:
        value = _clean_text(
            draft.get(key, ""),
            label=getattr(MemberCard._meta.get_field(key), "verbose_name", key),
            max_length=DRAFT_FIELD_MAX_LENGTH.get(key, CARD_TEXT_MAX_LENGTH),
        )
        if value:
            out[key] = value
    return out


def _clean_contact(email: str, phone: str) -> tuple[str, str]:
    from django.core.validators import validate_email

    email = clean_line(email, label=gettext("Email"), max_length=EMAIL_MAX_LENGTH).lower()
    phone = clean_line(phone, label=gettext("Phone"), max_length=PHONE_MAX_LENGTH)
    if not email and not phone:
        raise ServiceError(_("Give an email or a phone number."))
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ServiceError(_("Enter a valid email address.")) from exc
    return email, phone


def _refuse_existing(circle: Circle, email: str, *, pending_too: bool = True) -> None:
    """Conflict when someone with `email` is already an active member (or, with pending_too, nominated)."""
    if not email:
        return
    if Membership.objects.filter(
        circle=circle, status=Membership.Status.ACTIVE, user__email__iexact=email
    ).exists():
        raise Conflict(_("Someone with this email is already a member of the circle."), code="already_member")
    if (
        pending_too
        and Nomination.objects.filter(
            circle=circle, status=Nomination.Status.PENDING, email__iexact=email
        ).exists()
    ):
        raise Conflict(_("This person has already been nominated and is waiting for review."), code="pending")


# --- nominations -------------------------------------------------------------------------------------


@transaction.atomic
def nomination_create(
    *,
    circle: Circle,
    nominator: Membership,
    name: str,
    email: str = "",
    phone: str = "",
    relationship: str,
    years_known: int,
    closeness: int,
    reason: str,
    draft_card: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Nomination:
    """A member proposes someone they know; the organizer and admins review it."""
    if nominator.circle_id != circle.pk:
        raise NotFound(_("Circle not found."))
    # Lock the nominator's row first: two nominations by one member are counted one after the other.
    locked = Membership.objects.select_for_update().select_related("circle").get(pk=nominator.pk)
    refusal = nomination_refusal(membership=locked, at=at)
    if refusal:
        raise PermissionDenied(refusal)
    name = _clean_text(name, label=pgettext("person", "Name"), max_length=NAME_MAX_LENGTH, required=True)
    email, phone = _clean_contact(email, phone)
    if relationship not in Nomination.Relationship.values:
        raise ServiceError(_("Choose how you know them."))
    if not isinstance(years_known, int) or not 0 <= years_known <= YEARS_KNOWN_MAX:
        raise ServiceError(_("Years known must be between 0 and %(n)d.") % {"n": YEARS_KNOWN_MAX})
    if not isinstance(closeness, int) or not CLOSENESS_MIN <= closeness <= CLOSENESS_MAX:
        raise ServiceError(
            _("Closeness must be between %(lo)d and %(hi)d.") % {"lo": CLOSENESS_MIN, "hi": CLOSENESS_MAX}
        )
    reason = _clean_text(
        reason, label=gettext("Why they belong"), max_length=REASON_MAX_LENGTH, required=True
    )
    draft = _clean_draft(draft_card)
    _refuse_existing(circle, email)
    pending = Nomination.objects.filter(nominator=locked, status=Nomination.Status.PENDING).count()
    if pending >= circle.max_pending_nominations:
        raise Conflict(
            _("You already have %(n)d nominations waiting for review; wait for a decision first.")
            % {"n": pending},
            code="pending_cap",
        )
    nomination = Nomination.objects.create(
        circle=circle,
        nominator=locked,
        name=name,
        email=email,
        phone=phone,
        relationship=relationship,
        years_known=years_known,
        closeness=closeness,
        reason=reason,
        draft_card=draft,
    )
    if at is not None:
        Nomination.objects.filter(pk=nomination.pk).update(created_at=at)
        nomination.created_at = at
    audit_record(
        at=at,
        action=Action.NOMINATION_CREATED,
        actor=locked.user,
        circle_id=circle.pk,
        target=nomination,
        data={"name": name},
    )
    return nomination


def _refuse_own_nominee(nomination: Nomination, reviewer: Membership) -> None:
    """Nobody reviews their own nominee: another reviewer decides (a direct invitation is no nomination to
    review: it is approved as it is made)."""
    if nomination.nominator_id == reviewer.pk:
        raise PermissionDenied(
            _("You nominated this person: another reviewer must decide. You may withdraw the nomination."),
            code="own_nominee",
        )


def _lock_pending(nomination: Nomination) -> Nomination:
    locked = (
        Nomination.objects.select_for_update(of=("self",))
        .select_related("circle", "nominator__user", "nominator__card")
        .get(pk=nomination.pk)
    )
    if locked.status != Nomination.Status.PENDING:
        raise Conflict(
            _("This nomination is no longer waiting for review (%(status)s).")
            % {"status": locked.get_status_display()},
            code="not_pending",
        )
    return locked


def _issue(*, nomination: Nomination, actor: User, at: datetime | None) -> tuple[Invitation, str]:
    """A new invitation for an approved nomination; mails the link on commit."""
    now = at or timezone.now()
    raw = new_token(CODE_BYTES)
    invitation = Invitation.objects.create(
        nomination=nomination,
        circle=nomination.circle,
        sponsor=nomination.nominator,
        code_hash=code_hash(raw),
        created_by=actor,
        expires_at=now + timedelta(hours=nomination.circle.invitation_ttl_hours),
    )
    # One clock for both ends of the lifetime (auto_now_add would read it again).
    Invitation.objects.filter(pk=invitation.pk).update(created_at=now)
    invitation.created_at = now
    audit_record(
        at=at,
        action=Action.INVITATION_ISSUED,
        actor=actor,
        circle_id=nomination.circle_id,
        target=invitation,
        data={"nomination": nomination.pk, "expires_at": invitation.expires_at.isoformat()},
    )
    _mail_link(nomination=nomination, invitation=invitation, raw=raw)
    return invitation, raw


def _mail_link(*, nomination: Nomination, invitation: Invitation, raw: str) -> None:
    """The nominee gets their link (by address: they may have no account); the nominator gets it too, to
    forward (the code is never shown again). Through the outbox, after the commit, once per invitation."""
    params = {
        "name": nomination.name,
        "inviter": nomination.nominator.card.display_name,
        "circle": nomination.circle.name,
        "expires": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
    }
    path = reverse("invitations:accept", kwargs={"code": raw})
    if nomination.email:
        mail_send(
            kind="invitations.link_to_nominee",
            key=f"invitations.link:{invitation.pk}:nominee",
            address=nomination.email,
            params=params,
            url=path,
        )
    if not nomination.direct:
        mail_send(
            kind="invitations.link_to_nominator",
            key=f"invitations.link:{invitation.pk}:nominator",
            user=nomination.nominator.user,
            params=params,
            url=path,
        )


@transaction.atomic
def nomination_approve(
    *, nomination: Nomination, reviewer: Membership, at: datetime | None = None
) -> tuple[Invitation, str]:
    """Approve: a single-use invitation link, valid for the circle's invitation lifetime. Returns the raw code."""
    _require_reviewer(reviewer, nomination.circle_id)
    locked = _lock_pending(nomination)
    _refuse_own_nominee(locked, reviewer)
    if not locked.nominator.is_active:
        raise ServiceError(_("The nominator is no longer a member of the circle."))
    _refuse_existing(locked.circle, locked.email, pending_too=False)
    locked.status = Nomination.Status.APPROVED
    locked.reviewed_by = reviewer.user
    locked.reviewed_at = at or timezone.now()
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit_record(
        at=at,
        action=Action.NOMINATION_APPROVED,
        actor=reviewer.user,
        circle_id=locked.circle_id,
        target=locked,
    )
    return _issue(nomination=locked, actor=reviewer.user, at=at)


@transaction.atomic
def nomination_reject(
    *, nomination: Nomination, reviewer: Membership, reason: str, at: datetime | None = None
) -> Nomination:
    """Reject with a reason the nominator sees."""
    _require_reviewer(reviewer, nomination.circle_id)
    reason = _clean_text(reason, label=gettext("Reason"), max_length=REASON_MAX_LENGTH, required=True)
    locked = _lock_pending(nomination)
    _refuse_own_nominee(locked, reviewer)
    locked.status = Nomination.Status.REJECTED
    locked.reviewed_by = reviewer.user
    locked.reviewed_at = at or timezone.now()
    locked.reject_reason = reason
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "reject_reason"])
    audit_record(
        at=at,
        action=Action.NOMINATION_REJECTED,
        actor=reviewer.user,
        circle_id=locked.circle_id,
        target=locked,
        data={"reason": reason},
    )
    return locked


@transaction.atomic
def nomination_withdraw(*, nomination: Nomination, nominator: Membership) -> Nomination:
    """The nominator takes back a nomination that is still waiting for review."""
    if nomination.nominator_id != nominator.pk:
        raise PermissionDenied(_("Only the nominator may withdraw a nomination."))
    locked = _lock_pending(nomination)
    locked.status = Nomination.Status.WITHDRAWN
    locked.save(update_fields=["status"])
    audit_record(
        action=Action.NOMINATION_WITHDRAWN, actor=nominator.user, circle_id=locked.circle_id, target=locked
    )
    return locked


# --- invitations -------------------------------------------------------------------------------------


@transaction.atomic
def invitation_direct(
    *,
    circle: Circle,
    organizer: Membership,
    name: str,
    email: str = "",
    phone: str = "",
    reason: str = "",
    draft_card: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> tuple[Invitation, str]:
    """The organizer (or an admin) invites directly: a nomination by themselves, approved at once."""
    _require_reviewer(organizer, circle.pk)
    name = _clean_text(name, label=pgettext("person", "Name"), max_length=NAME_MAX_LENGTH, required=True)
    email, phone = _clean_contact(email, phone)
    reason = _clean_text(reason, label=gettext("Why they belong"), max_length=REASON_MAX_LENGTH)
    draft = _clean_draft(draft_card)
    _refuse_existing(circle, email)
    now = at or timezone.now()
    nomination = Nomination.objects.create(
        circle=circle,
        nominator=organizer,
        name=name,
        email=email,
        phone=phone,
        relationship=Nomination.Relationship.OTHER,
        years_known=0,
        closeness=DIRECT_CLOSENESS,
        reason=reason,
        draft_card=draft,
        direct=True,
        status=Nomination.Status.APPROVED,
        reviewed_by=organizer.user,
        reviewed_at=now,
    )
    if at is not None:
        Nomination.objects.filter(pk=nomination.pk).update(created_at=at)
    nomination.circle = circle
    nomination.nominator = organizer
    audit_record(
        at=at, action=Action.INVITATION_DIRECT, actor=organizer.user, circle_id=circle.pk, target=nomination
    )
    return _issue(nomination=nomination, actor=organizer.user, at=at)


def _lock_invitation(invitation_id: int) -> Invitation:
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related(
            "circle", "nomination__circle", "nomination__nominator__user", "nomination__nominator__card"
        )
        .get(pk=invitation_id)
    )


def _revoke(invitation: Invitation, actor: User, at: datetime | None) -> None:
    if invitation.is_used:
        raise Conflict(_("This invitation has been used and cannot be revoked."), code="used")
    invitation.revoked_at = at or timezone.now()
    invitation.revoked_by = actor
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        at=at,
        action=Action.INVITATION_REVOKED,
        actor=actor,
        circle_id=invitation.circle_id,
        target=invitation,
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Membership, at: datetime | None = None) -> Invitation:
    """The organizer, an admin or the nominator withdraws an unused link."""
    if actor.circle_id != invitation.circle_id or not (
        actor.can_review or (actor.is_active and actor.pk == invitation.sponsor_id)
    ):
        raise PermissionDenied(_("Only the organizer, admins and the nominator may revoke an invitation."))
    locked = _lock_invitation(invitation.pk)
    if locked.is_revoked:
        raise Conflict(_("This invitation has already been revoked."), code="revoked")
    _revoke(locked, actor.user, at)
    return locked


@transaction.atomic
def invitation_reissue(
    *, invitation: Invitation, reviewer: Membership, at: datetime | None = None
) -> tuple[Invitation, str]:
    """A lost or expired link: revoke it (if not yet) and issue a new one for the same nomination."""
    _require_reviewer(reviewer, invitation.circle_id)
    locked = _lock_invitation(invitation.pk)
    if locked.is_used:
        raise Conflict(_("This invitation has been used."), code="used")
    if Invitation.objects.filter(nomination_id=locked.nomination_id, accepted_at__isnull=False).exists():
        raise Conflict(_("This nominee has already joined."), code="used")
    if not locked.is_revoked:
        _revoke(locked, reviewer.user, at)
    elif Invitation.objects.filter(nomination_id=locked.nomination_id, revoked_at__isnull=True).exists():
        raise Conflict(_("A newer invitation exists for this nomination."), code="superseded")
    if not locked.nomination.nominator.is_active:
        raise ServiceError(_("The nominator is no longer a member of the circle."))
    return _issue(nomination=locked.nomination, actor=reviewer.user, at=at)


def _new_account(*, username: str | None, password: str | None, email: str) -> User:
    username = clean_line(username, label=gettext("Username"), max_length=USERNAME_MAX_LENGTH)
    if not username or not password:
        raise ServiceError(_("Choose a username and a password."))
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise ServiceError(" ".join(str(m) for m in exc.messages)) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(_("This username is taken."), code="username_taken")
    candidate = User(username=username, email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ServiceError(" ".join(str(m) for m in exc.messages), code="weak_password") from exc
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError as exc:
        raise Conflict(_("This username is taken."), code="username_taken") from exc


def invitation_refusal(invitation: Invitation, at: datetime | None = None) -> ServiceError | None:
    """Why the invitation cannot be accepted now, as the error to raise."""
    if invitation.is_used:
        return Conflict(_("This invitation has already been used."), code="used")
    if invitation.is_revoked:
        return Gone(_("This invitation has been revoked."), code="revoked")
    if invitation.is_expired(at):
        return Gone(_("This invitation has expired. Ask whoever invited you for a new link."), code="expired")
    return None


@transaction.atomic
def invitation_accept(
    *,
    code: str,
    user: User | None = None,
    username: str | None = None,
    password: str | None = None,
    email: str = "",
    display_name: str = "",
    at: datetime | None = None,
) -> Membership:
    """Use an invitation: create the account (or join `user`), the membership under the nominator, the
    sponsor tie and the card drafted by the nominator. Single use: the invitation row is locked first."""
    found = invitation_for_code(code)
    invitation = _lock_invitation(found.pk)
    refusal = invitation_refusal(invitation, at)
    if refusal is not None:
        raise refusal
    nomination = invitation.nomination
    display_name = (
        _clean_text(display_name, label=gettext("Display name"), max_length=NAME_MAX_LENGTH)
        or nomination.name
    )
    if user is None:
        email = (email or "").strip() or nomination.email
        if email:
            email, _phone = _clean_contact(email, "")
        user = _new_account(username=username, password=password, email=email)
    elif not user.is_active:
        raise PermissionDenied(_("This account is disabled."))
    sponsor = Membership.objects.select_related("user").get(pk=invitation.sponsor_id)
    if not sponsor.is_active:
        raise Gone(
            _("Whoever invited you is no longer a member; this invitation cannot be used."),
            code="sponsor_gone",
        )
    card_fields: dict[str, Any] = {**nomination.draft_card, "display_name": display_name}
    if user.email:
        card_fields["email"] = user.email
    elif nomination.email:
        card_fields["email"] = nomination.email
    if nomination.phone:
        card_fields["phone"] = nomination.phone
    membership = membership_create(
        circle=invitation.circle,
        user=user,
        sponsor=sponsor,
        role=Membership.Role.MEMBER,
        joined_at=at,
        card_fields=card_fields,
        actor=user,
    )
    tie_record_sponsor(sponsor=sponsor, invitee=membership, at=at)
    invitation.accepted_at = at or timezone.now()
    invitation.accepted_by = user
    invitation.membership = membership
    invitation.save(update_fields=["accepted_at", "accepted_by", "membership"])
    audit_record(
        at=at,
        action=Action.INVITATION_ACCEPTED,
        actor=user,
        circle_id=invitation.circle_id,
        target=invitation,
        data={"membership": membership.pk, "sponsor": sponsor.pk},
    )
    return membership
