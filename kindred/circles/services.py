"""Every state change of circles, memberships and cards."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from kindred.core import events
from kindred.core.services import Conflict, PermissionDenied, ServiceError, audit_record
from kindred.core.text import clean_line, clean_multiline, clean_text

from . import text
from .audit import Action
from .models import (
    CARD_TAGS_MAX,
    CARD_TEXT_MAX_LENGTH,
    TAG_MAX_LENGTH,
    CardTag,
    Circle,
    Industry,
    MemberCard,
    Membership,
)
from .selectors import members_version_changed_here
from .signals import member_joined

CARD_TEXT_FIELDS = ("display_name", "company", "title", "city", "offers", "needs", "bio", "values")
CARD_CONTACT_FIELDS = (
    "wechat",
    "wechat_visibility",
    "phone",
    "phone_visibility",
    "email",
    "email_visibility",
)
CIRCLE_RULE_FIELDS = (
    "nomination_policy",
    "nominate_after_days",
    "max_pending_nominations",
    "invitation_ttl_hours",
    "notify_sponsor_on_removal",
)
CIRCLE_EDITABLE_FIELDS = ("name", "description", "values_statement", *CIRCLE_RULE_FIELDS)
INDUSTRY_NAME_MAX_LENGTH = 64
INDUSTRY_SYNONYMS_MAX_LENGTH = 255
DISPLAY_NAME_MAX_LENGTH = 64


def _validated(obj: models.Model, *, exclude: list[str]) -> None:
    """full_clean, with Django's ValidationError turned into a ServiceError the edge answers with a 400."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False)
        # Django checks max_length of CharFields only; a TextField's is a form hint. Enforce both.
        for f in obj._meta.concrete_fields:
            value = getattr(obj, f.attname)
            if isinstance(f, models.TextField) and f.max_length and len(value or "") > f.max_length:
                raise ValidationError({f.name: _("At most %(n)d characters.") % {"n": f.max_length}})
    except ValidationError as exc:
        messages = []
        for field, errs in exc.message_dict.items():
            label = getattr(obj._meta.get_field(field), "verbose_name", field) if field != "__all__" else ""
            joined = " ".join(str(m) for m in errs)
            messages.append(f"{label}: {joined}" if label else joined)
        raise ServiceError("; ".join(messages), code="invalid_fields") from exc


def _model_text(obj: models.Model, name: str, value: Any) -> Any:
    """A text field's value under the text rule of kindred.core.text (a TextField keeps its line breaks);
    choices and non-text values are left to full_clean."""
    field = obj._meta.get_field(name)
    if value is None:
        value = ""
    if (
        not isinstance(value, str)
        or not isinstance(field, models.CharField | models.TextField)
        or field.choices
    ):
        return value
    return clean_text(
        value,
        label=getattr(field, "verbose_name", name),
        max_length=field.max_length or CARD_TEXT_MAX_LENGTH,
        one_line=not isinstance(field, models.TextField),
    )


def _card_document(card: MemberCard, tag_names: Iterable[str], industry_names: Iterable[str]) -> str:
    return text.search_document([*(getattr(card, f) for f in CARD_TEXT_FIELDS), *tag_names, *industry_names])


def card_reindex(*, card: MemberCard) -> None:
    """Recompute the card's search document from its fields, tags and industries."""
    tags = list(card.tags.values_list("name", flat=True))
    industries = [f"{i.name_zh} {i.name_en} {i.synonyms}" for i in card.industries.all()]
    card.search_document = _card_document(card, tags, industries)
    MemberCard.objects.filter(pk=card.pk).update(search_document=card.search_document)


def circle_members_touch(*, circle_id: int) -> None:
    """Move the circle's members_version: call it inside the transaction of every change to what the
    directory, a member card or a tie mark shows (memberships, cards, industries, ties), so cached views of
    the circle's members are never read again once it commits (kindred.core.fragments)."""
    Circle.objects.filter(pk=circle_id).update(members_version=models.F("members_version") + 1)
    # This process's objects read before the change no longer find what was kept under the old version.
    members_version_changed_here(circle_id=circle_id)


def _clean_tags(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in names:
        name = clean_line(raw, label=_("Tag"), max_length=TAG_MAX_LENGTH)
        if not name:
            continue
        if name not in out:
            out.append(name)
    if len(out) > CARD_TAGS_MAX:
        raise ServiceError(_("At most %(n)d tags per list.") % {"n": CARD_TAGS_MAX})
    return out


@transaction.atomic
def card_update(
    *,
    membership: Membership,
    actor: User | None = None,
    fields: dict[str, Any],
    industry_codes: list[str] | None = None,
    offer_tags: list[str] | None = None,
    need_tags: list[str] | None = None,
) -> MemberCard:
    """Set the given card fields (only those in `fields`), industries and tags; reindex for search."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if not locked.is_active:
        raise PermissionDenied(_("A removed member's card cannot be changed."))
    card = MemberCard.objects.select_for_update().get(membership=membership)
    allowed = set(CARD_TEXT_FIELDS) | set(CARD_CONTACT_FIELDS)
    unknown = set(fields) - allowed
    if unknown:
        raise ServiceError(_("Unknown card fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    for key, value in fields.items():
        setattr(card, key, _model_text(card, key, value))
    if not card.display_name:
        raise ServiceError(_("A display name is required."))
    _validated(card, exclude=["membership", "industries", "search_document"])
    card.save()
    if industry_codes is not None:
        codes = list(dict.fromkeys(industry_codes))
        industries = list(
            Industry.objects.filter(code__in=codes).filter(
                models.Q(circle__isnull=True) | models.Q(circle_id=membership.circle_id)
            )
        )
        found = {i.code for i in industries}
        missing = [c for c in codes if c not in found]
        if missing:
            raise ServiceError(_("Unknown industries: %(c)s") % {"c": ", ".join(missing)})
        card.industries.set(industries)
    for kind, names in ((CardTag.Kind.OFFER, offer_tags), (CardTag.Kind.NEED, need_tags)):
        if names is None:
            continue
        cleaned = _clean_tags(names)
        card.tags.filter(kind=kind).exclude(name__in=cleaned).delete()
        existing = set(card.tags.filter(kind=kind).values_list("name", flat=True))
        CardTag.objects.bulk_create(
            [CardTag(card=card, kind=kind, name=n) for n in cleaned if n not in existing]
        )
    card_reindex(card=card)
    circle_members_touch(circle_id=membership.circle_id)
    audit_record(
        action=Action.CARD_UPDATED,
        actor=actor or membership.user,
        circle_id=membership.circle_id,
        target=card,
        data={"fields": sorted(fields)},
    )
    return card


@transaction.atomic
def circle_create(
    *,
    creator: User,
    name: str,
    slug: str = "",
    description: str = "",
    values_statement: str = "",
    theme_code: str | None = None,
    display_name: str = "",
    created_at: datetime | None = None,
    **rules: Any,
) -> Circle:
    """Create a circle; the creator becomes its organizer and the origin of its invite tree."""
    unknown = set(rules) - set(CIRCLE_RULE_FIELDS)
    if unknown:
        raise ServiceError(_("Unknown circle fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    name = _model_text(Circle(), "name", name)
    description = _model_text(Circle(), "description", description)
    values_statement = _model_text(Circle(), "values_statement", values_statement)
    if not name:
        raise ServiceError(_("A circle needs a name."))
    slug = (slug or slugify(name, allow_unicode=False)).strip().lower()
    if not slug:
        raise ServiceError(_("Choose a slug of Latin letters, digits and hyphens."))
    theme = None
    if theme_code:
        theme = Industry.objects.filter(code=theme_code, circle__isnull=True).first()
        if theme is None:
            raise ServiceError(_("Unknown industry: %(c)s") % {"c": theme_code})
    circle = Circle(
        name=name,
        slug=slug,
        description=description,
        values_statement=values_statement,
        theme=theme,
        created_by=creator,
        **rules,
    )
    _validated(circle, exclude=["created_by", "theme"])
    try:
        with transaction.atomic():
            circle.save()
    except IntegrityError as exc:
        raise Conflict(_("A circle with this slug already exists."), code="slug_taken") from exc
    if created_at is not None:
        Circle.objects.filter(pk=circle.pk).update(created_at=created_at)
    membership_create(
        circle=circle,
        user=creator,
        sponsor=None,
        role=Membership.Role.ORGANIZER,
        joined_at=created_at,
        card_fields={"display_name": display_name or creator.get_full_name() or creator.get_username()},
        actor=creator,
    )
    audit_record(
        at=created_at, action=Action.CIRCLE_CREATED, actor=creator, circle_id=circle.pk, target=circle
    )
    return circle


@transaction.atomic
def circle_update(*, circle: Circle, actor: User, **fields: Any) -> Circle:
    """The organizer changes the circle's name, texts and rules."""
    unknown = set(fields) - set(CIRCLE_EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(_("Unknown circle fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    circle = Circle.objects.select_for_update().get(pk=circle.pk)
    if not Membership.objects.filter(
        circle=circle, user=actor, role=Membership.Role.ORGANIZER, status=Membership.Status.ACTIVE
    ).exists():
        raise PermissionDenied(_("Only the organizer may change the circle."))
    for key, value in fields.items():
        setattr(circle, key, _model_text(circle, key, value))
    if not circle.name:
        raise ServiceError(_("A circle needs a name."))
    _validated(circle, exclude=["created_by", "theme"])
    circle.save()
    audit_record(
        action=Action.CIRCLE_UPDATED,
        actor=actor,
        circle_id=circle.pk,
        target=circle,
        data={"fields": sorted(fields)},
    )
    return circle


def membership_create(
    *,
    circle: Circle,
    user: User,
    sponsor: Membership | None,
    role: str = Membership.Role.MEMBER,
    joined_at: datetime | None = None,
    card_fields: dict[str, Any] | None = None,
    actor: User | None = None,
) -> Membership:
    """Add `user` to `circle` under `sponsor` (None only for the origin) with a card.

    Callers run it inside their own atomic block, holding the lock on what they consume (an invitation);
    the (circle, user) UNIQUE constraint makes a duplicate impossible, and is reported as a Conflict.
    """
    if sponsor is not None and (sponsor.circle_id != circle.pk or not sponsor.is_active):
        raise ServiceError(_("The sponsor is not an active member of this circle."))
    if sponsor is None:
        tree_path, depth = "/", 0
    else:
        tree_path, depth = f"{sponsor.tree_path}{sponsor.pk}/", sponsor.depth + 1
    gone = Membership.objects.filter(circle=circle, user=user, status=Membership.Status.LEFT).first()
    if sponsor is not None and gone is not None:
        return _membership_rejoin(gone, role=role, at=joined_at, actor=actor or user)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                circle=circle,
                user=user,
                sponsor=sponsor,
                role=role,
                tree_path=tree_path,
                depth=depth,
                joined_at=joined_at or timezone.now(),
            )
    except IntegrityError as exc:
        raise Conflict(_("This account is already a member of the circle."), code="already_member") from exc
    fields = dict(card_fields or {})
    fields.setdefault("display_name", (user.get_full_name() or user.get_username())[:DISPLAY_NAME_MAX_LENGTH])
    fields.setdefault("email", user.email or "")
    card = MemberCard(membership=membership)
    for k, v in fields.items():
        if k in CARD_TEXT_FIELDS + CARD_CONTACT_FIELDS and v is not None:
            setattr(card, k, _model_text(card, k, v))
    _validated(card, exclude=["membership", "industries", "search_document"])
    card.save()
    card_reindex(card=card)
    circle_members_touch(circle_id=circle.pk)
    audit_record(
        at=joined_at,
        action=Action.MEMBERSHIP_CREATED,
        actor=actor or user,
        circle_id=circle.pk,
        target=membership,
        data={"sponsor": sponsor.pk if sponsor else None, "role": role},
    )
    if joined_at is None and sponsor is not None:
        transaction.on_commit(lambda: member_joined.send(sender=Membership, membership=membership))
    return membership


@transaction.atomic
def membership_remove(
    *, membership: Membership, actor: Membership, reason: str, at: datetime | None = None
) -> Membership:
    """The organizer removes a member with a reason (kept in the audit log); the sponsor is told by email
    when the circle says so. The membership row and its place in the invite tree are kept."""
    if not actor.is_organizer or actor.circle_id != membership.circle_id:
        raise PermissionDenied(_("Only the organizer may remove members."))
    reason = clean_multiline(reason, label=_("Reason"), max_length=CARD_TEXT_MAX_LENGTH)
    if not reason:
        raise ServiceError(_("Give a reason for the removal."))
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("circle", "sponsor__user", "card")
        .get(pk=membership.pk)
    )
    if locked.sponsor_id is None:
        raise ServiceError(_("The organizer cannot be removed from their own circle."))
    if not locked.is_active:
        raise Conflict(_("This member has already been removed."), code="already_removed")
    locked.status = Membership.Status.REMOVED
    locked.removed_at = at or timezone.now()
    locked.removed_by = actor.user
    locked.removed_reason = reason
    locked.save(update_fields=["status", "removed_at", "removed_by", "removed_reason"])
    circle_members_touch(circle_id=locked.circle_id)
    audit_record(
        at=at,
        action=Action.MEMBERSHIP_REMOVED,
        actor=actor.user,
        circle_id=locked.circle_id,
        target=locked,
        data={"reason": reason, "sponsor": locked.sponsor_id},
    )
    if at is None and locked.circle.notify_sponsor_on_removal and locked.sponsor_id is not None:
        # The sponsor is told in their inbox and by mail (kindred.notifications listens), after the commit.
        events.announce(
            events.member_removed,
            sender=Membership,
            circle_id=locked.circle_id,
            membership_id=locked.pk,
            sponsor_id=locked.sponsor_id,
        )
    return locked


@transaction.atomic
def membership_note_set(*, membership: Membership, actor: Membership, note: str) -> Membership:
    """The organizer (or an admin) writes their private note on a member. Only they ever see it."""
    if not actor.can_review or actor.circle_id != membership.circle_id:
        raise PermissionDenied(_("Only the organizer and admins may keep notes on members."))
    note = clean_multiline(note, label=_("Private note"), max_length=CARD_TEXT_MAX_LENGTH)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    locked.organizer_note = note
    locked.save(update_fields=["organizer_note"])
    # The audit row records that the note changed, not what it says.
    audit_record(
        action=Action.MEMBERSHIP_NOTE_SET, actor=actor.user, circle_id=locked.circle_id, target=locked
    )
    return locked


@transaction.atomic
def membership_role_set(*, membership: Membership, actor: Membership, role: str) -> Membership:
    """The organizer makes a member an admin (who may review nominations) or back a member."""
    if not actor.is_organizer or actor.circle_id != membership.circle_id:
        raise PermissionDenied(_("Only the organizer may change roles."))
    if role not in (Membership.Role.ADMIN, Membership.Role.MEMBER):
        raise ServiceError(_("A member can be made an admin or a member."))
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Membership.Role.ORGANIZER:
        raise ServiceError(_("The organizer's role cannot be changed."))
    if not locked.is_active:
        raise Conflict(_("This member has been removed."), code="removed")
    previous = locked.role
    if previous != role:
        locked.role = role
        locked.save(update_fields=["role"])
        circle_members_touch(circle_id=locked.circle_id)
        audit_record(
            action=Action.MEMBERSHIP_ROLE_SET,
            actor=actor.user,
            circle_id=locked.circle_id,
            target=locked,
            data={"from": previous, "to": role},
        )
    return locked


@transaction.atomic
def industry_add(
    *,
    circle: Circle,
    actor: Membership,
    name_zh: str,
    name_en: str = "",
    synonyms: str = "",
    parent_code: str | None = None,
) -> Industry:
    """The organizer adds an industry only their circle uses (beside the curated taxonomy)."""
    if not actor.is_organizer or actor.circle_id != circle.pk:
        raise PermissionDenied(_("Only the organizer may add industries."))
    Circle.objects.select_for_update().get(pk=circle.pk)
    name_zh = clean_line(name_zh, label=_("Name (Chinese)"), max_length=INDUSTRY_NAME_MAX_LENGTH)
    name_en = clean_line(name_en, label=_("Name (English)"), max_length=INDUSTRY_NAME_MAX_LENGTH)
    synonyms = clean_line(synonyms, label=_("Synonyms"), max_length=INDUSTRY_SYNONYMS_MAX_LENGTH)
    if not name_zh:
        raise ServiceError(_("An industry needs a name."))
    visible = Industry.objects.filter(models.Q(circle__isnull=True) | models.Q(circle=circle))
    if visible.filter(models.Q(name_zh=name_zh) | models.Q(name_en__iexact=name_en or name_zh)).exists():
        raise Conflict(_("This industry already exists."), code="industry_exists")
    parent = None
    if parent_code:
        parent = visible.filter(code=parent_code).first()
        if parent is None:
            raise ServiceError(_("Unknown industry: %(c)s") % {"c": parent_code})
    # A code that can never collide with a curated one (curated codes have no "c<digits>-" prefix).
    count = Industry.objects.filter(circle=circle).count()
    code = f"c{circle.pk}-{count + 1}"
    while Industry.objects.filter(circle=circle, code=code).exists():
        count += 1
        code = f"c{circle.pk}-{count + 1}"
    industry = Industry.objects.create(
        code=code,
        name_zh=name_zh,
        name_en=name_en or name_zh,
        synonyms=synonyms,
        parent=parent,
        circle=circle,
        position=10_000 + count,
    )
    circle_members_touch(circle_id=circle.pk)
    audit_record(
        action=Action.INDUSTRY_ADDED,
        actor=actor.user,
        circle_id=circle.pk,
        target=industry,
        data={"code": code},
    )
    return industry


# --- Leaving and coming back ------------------------------------------------------------------------------


@transaction.atomic
def membership_leave(*, membership: Membership, at: datetime | None = None) -> Membership:
    """A member leaves the circle by themself: the membership ends as `left` (like a removal, without a
    reason), keeping its row, card and place in the invite tree. The organizer (the tree's origin) cannot
    leave their own circle. A member who left may come back through a new invitation (membership_create)."""
    locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if locked.sponsor_id is None:
        raise PermissionDenied(
            _("The organizer cannot leave their own circle."), code="organizer_cannot_leave"
        )
    if not locked.is_active:
        raise Conflict(_("You are no longer a member of this circle."), code="not_active")
    locked.status = Membership.Status.LEFT
    locked.removed_at = at or timezone.now()
    locked.removed_by = locked.user
    locked.removed_reason = ""
    locked.save(update_fields=["status", "removed_at", "removed_by", "removed_reason"])
    circle_members_touch(circle_id=locked.circle_id)
    audit_record(
        at=at, action=Action.MEMBERSHIP_LEFT, actor=locked.user, circle_id=locked.circle_id, target=locked
    )
    return locked


def _membership_rejoin(membership: Membership, *, role: str, at: datetime | None, actor: User) -> Membership:
    """A member who left comes back (through a new invitation): the same membership, active again, with
    its card and its original place in the invite tree (a sponsor never changes). Called by
    membership_create, inside the caller's transaction."""
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.status != Membership.Status.LEFT:
            raise Conflict(_("This account is already a member of the circle."), code="already_member")
        locked.status = Membership.Status.ACTIVE
        locked.role = role
        locked.removed_at = None
        locked.removed_by = None
        locked.save(update_fields=["status", "role", "removed_at", "removed_by"])
        circle_members_touch(circle_id=locked.circle_id)
        audit_record(
            at=at, action=Action.MEMBERSHIP_REJOINED, actor=actor, circle_id=locked.circle_id, target=locked
        )
    return locked


# A deleted account's name on its cards (data, in the circle's first language).
ERASED_DISPLAY_NAME = "已注销成员"


def card_erase(*, membership: Membership) -> MemberCard:
    """Wipe a card when its owner deletes their account: every field, tag and industry goes; the name
    becomes ERASED_DISPLAY_NAME, so what they wrote and kept (messages, ledger) shows no person. Called by
    the account deletion inside its transaction, which writes the audit row."""
    card = MemberCard.objects.select_for_update().get(membership=membership)
    for name in (*CARD_TEXT_FIELDS, "wechat", "phone", "email"):
        setattr(card, name, "")
    card.display_name = ERASED_DISPLAY_NAME
    card.save()
    card.tags.all().delete()
    card.industries.clear()
    card_reindex(card=card)
    Membership.objects.filter(pk=membership.pk).update(organizer_note="")
    circle_members_touch(circle_id=membership.circle_id)
    return card
