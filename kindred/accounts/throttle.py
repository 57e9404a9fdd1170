"""The answer to a locked-out sign-in (django-axes calls `lockout_response`, see AXES_LOCKOUT_CALLABLE).

Axes counts failed sign-ins in the database, per account and per IP address on their own, so the
count holds across every worker process. Once either count reaches the limit within the cool-off
window, every further attempt (even with the right password) gets this answer: JSON for the API,
a page in the user's language for the web form; both 429.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

API_PATH_PREFIX = "/api/"
LOCKED_STATUS = 429


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return _(
        "Too many failed sign-in attempts. Sign-in is blocked for this account or network; "
        "try again in %(minutes)d minutes."
    ) % {"minutes": cooloff_minutes()}


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    response: HttpResponse
    if request.path.startswith(API_PATH_PREFIX):
        response = JsonResponse({"detail": lockout_message()}, status=LOCKED_STATUS)
    else:
        response = render(
            request, "accounts/locked_out.html", {"message": lockout_message()}, status=LOCKED_STATUS
        )
    response["Retry-After"] = retry_after
    return response
