"""The health page: numbers at a glance and the series drawn by ECharts (kindred/static/kindred/health.js)
from the same JSON the API returns, with the labels in the reader's language."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kindred.circles.access import circle_view
from kindred.circles.models import Membership

from . import selectors
from .api import health_out


def chart_labels() -> dict[str, Any]:
    """Every word the charts show, in the reader's language."""
    return {
        "month": _("Month"),
        "members": _("Members"),
        "joined": _("Joined"),
        "left": _("Left"),
        "member_count": _("Member count"),
        "days": _("Days since the circle opened"),
        "knew_inside": _("Knew someone inside"),
        "rolling_share": _("Share of the last 10 newcomers"),
        "friends_inside_at": _("Friends inside"),
        "deals_at": _("Deals begin"),
        "deals": _("Counted deals"),
        "origins": {
            "introduction": _("Introduction"),
            "meetup": _("Meetup"),
            "ask": _("Ask"),
            "knew_before": _("Knew before"),
        },
        "funnel": {
            "proposed": _("Introductions proposed"),
            "accepted": _("Accepted"),
            "deal": _("Led to a deal"),
        },
        "per_active_member": _("Messages per active member"),
        "asks": _("Asks posted"),
        "caught": _("Asks caught"),
        "active": _("Active members"),
        "envelope_share": _("Envelope participation"),
        "going": _("Going to meetups"),
        "checked_in": _("Checked in"),
        "met_offline": _("Ties met offline"),
        "branch_members": _("Members of the branch"),
        "branch_active": _("Active in the last 30 days"),
        "share": _("Share"),
        "count": _("Count"),
    }


@circle_view
@require_GET
def health_page(request: HttpRequest, me: Membership) -> HttpResponse:
    selectors.require_reviewer(me)
    report = health_out(selectors.circle_health(circle_id=me.circle_id))
    context = {
        "circle": me.circle,
        "membership": me,
        "health": report,
        "series": report.model_dump(mode="json"),
        "labels": chart_labels(),
    }
    return render(request, "health/page.html", context)
