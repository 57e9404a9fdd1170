"""Data that can leave: the organizer's exports (GET /circles/{slug}/exports/{what}?format=csv|xlsx, the
organizer and admins; 404 for anyone else), a member's own export (GET /me/export), leaving a circle and
deleting one's account."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from kindred.circles.access import api_membership
from kindred.core.schemas import ERRORS

from . import selectors, services
from .exports import CSV_TYPE, XLSX_TYPE, render
from .schemas import AccountDeletedOut, AccountDeleteIn, LeaveIn, LeaveOut

router = Router(tags=["portability"])

Export = Literal["directory", "deals", "attendance"]


class ExportQuery(Schema):
    format: Literal["csv", "xlsx"] = "csv"


def export_response(*, user: User, membership: Any, what: str, fmt: str) -> HttpResponse:
    """The organizer's table as a file (shared by the page and the API); audited."""
    table = selectors.circle_table(viewer=membership, what=what)
    data, content_type = render(table, fmt)
    services.export_record(actor=user, what=f"{what}.{fmt}", circle_id=membership.circle_id)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{membership.circle.slug}-{what}.{fmt}"'
    return response


def member_export_response(*, user: User) -> HttpResponse:
    data = selectors.member_export(user=user)
    services.export_record(actor=user, what="member")
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body.encode(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kindred-{user.get_username()}.json"'
    return response


@router.get(
    "/circles/{slug}/exports/{what}",
    response={200: None, **ERRORS},
    summary="The organizer's export: directory, deals or meetup attendance, as CSV or XLSX",
    openapi_extra={
        "responses": {
            200: {
                "description": "The table as a file: CSV (UTF-8 with a BOM) or XLSX",
                "content": {
                    CSV_TYPE.split(";")[0]: {"schema": {"type": "string"}},
                    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def circle_export(request: HttpRequest, slug: str, what: Export, query: Query[ExportQuery]) -> HttpResponse:
    """For the organizer and admins; anyone else gets 404. Contacts and deal amounts appear only where the
    organizer may see them; cells that would start a formula are prefixed with an apostrophe."""
    me = api_membership(request, slug)
    return export_response(user=request.user, membership=me, what=what, fmt=query.format)  # type: ignore[arg-type]


@router.get(
    "/me/export",
    response={200: dict[str, Any], **ERRORS},
    summary="Everything Kindred holds about me, as JSON",
)
def me_export(request: HttpRequest) -> HttpResponse:
    """Account, memberships, cards, ties, nominations, invitations, wallet, envelopes, introductions,
    meetups, deals, messages, notifications, contacts and API tokens (names only): only the caller's."""
    return member_export_response(user=request.user)  # type: ignore[arg-type]


@router.post("/circles/{slug}/leave", response={200: LeaveOut, **ERRORS}, summary="Leave the circle")
def circle_leave(request: HttpRequest, slug: str, payload: LeaveIn) -> LeaveOut:
    me = api_membership(request, slug)
    left = services.member_leave(membership=me, confirm=payload.confirm)
    return LeaveOut(member_id=left.pk, status=left.status)


@router.post("/me/delete", response={200: AccountDeletedOut, **ERRORS}, summary="Delete my account")
def me_delete(request: HttpRequest, payload: AccountDeleteIn) -> dict[str, Any]:
    """Type your username to confirm, and choose what happens to your messages. Refused (409) while your
    wallet holds money or a withdrawal or envelope of yours is open; an organizer cannot delete theirs."""
    return services.account_delete(
        user=request.user,  # type: ignore[arg-type]
        confirm_username=payload.confirm_username,
        messages=payload.messages,
    )
