"""The notifications API: a member's inbox in a circle, marking read, the mail preference. Non-members
get 404 (anonymous callers 401)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router

from kindred.circles.selectors import membership_for_circle
from kindred.core.schemas import ERRORS

from . import selectors, services
from .models import MailPreference
from .schemas import (
    MAX_ID,
    InboxOut,
    MailPreferenceIn,
    MailPreferenceOut,
    MarkReadIn,
    MarkReadOut,
    NotificationOut,
)

router = Router(tags=["notifications"])


@router.get("/circles/{slug}/notifications", response={200: InboxOut, **ERRORS}, summary="My notifications")
def notification_list(
    request: HttpRequest, slug: str, before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> InboxOut:
    """Your newest notifications in this circle (older than `before`, an id, to page back), texts in your
    language, and your unread count."""
    me = membership_for_circle(user=request.user, slug=slug)
    return InboxOut(
        unread=selectors.unread_count(member=me),
        mail=MailPreference.Mode(selectors.mail_preference(member=me)),
        items=[
            NotificationOut(**{k: v for k, v in vars(i).items() if k != "params"})
            for i in selectors.inbox(member=me, before_id=before)
        ],
    )


@router.post("/circles/{slug}/notifications/read", response={200: MarkReadOut, **ERRORS}, summary="Mark read")
def notification_read(request: HttpRequest, slug: str, payload: MarkReadIn) -> MarkReadOut:
    """Mark `ids` (or `all: true`) of your notifications read; others' ids are ignored."""
    me = membership_for_circle(user=request.user, slug=slug)
    marked = services.notifications_mark_read(
        member=me, ids=None if payload.all else payload.ids, everything=payload.all
    )
    return MarkReadOut(marked=marked, unread=selectors.unread_count(member=me))


@router.post(
    "/circles/{slug}/notifications/mail",
    response={200: MailPreferenceOut, **ERRORS},
    summary="Set my mail preference",
)
def notification_mail(request: HttpRequest, slug: str, payload: MailPreferenceIn) -> MailPreferenceOut:
    """`immediate`: each notification by mail at once; `digest`: what is not urgent in one daily mail;
    `off`: no mail from this circle."""
    me = membership_for_circle(user=request.user, slug=slug)
    pref = services.mail_preference_set(member=me, mode=payload.mail)
    return MailPreferenceOut(mail=MailPreference.Mode(pref.mode))
