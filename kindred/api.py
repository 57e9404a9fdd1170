"""The JSON API under /api/v1: one NinjaAPI, a Router per domain app."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kindred.accounts.api import router as accounts_router
from kindred.accounts.auth import BearerTokenAuth, SessionCookieAuth
from kindred.circles.api import router as circles_router
from kindred.conversation.api import router as conversation_router
from kindred.core.services import ServiceError
from kindred.deals.api import router as deals_router
from kindred.health.api import router as health_router
from kindred.invitations.api import router as invitations_router
from kindred.matching.api import router as matching_router
from kindred.meetups.api import router as meetups_router
from kindred.notifications.api import router as notifications_router
from kindred.portability.api import router as portability_router
from kindred.ties.api import router as ties_router
from kindred.wallet.api import router as wallet_router

api = NinjaAPI(
    title="Kindred API",
    version="1",
    description="Kindred (同类): trusted business circles. Authenticate with `Authorization: Bearer <token>` "
    "(POST /api/v1/auth/token) or a browser session with its CSRF token.",
    auth=[BearerTokenAuth(), SessionCookieAuth()],
    urls_namespace="api",
)


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other URL under /api/: the API's JSON 404, not the HTML page (e.g. /ties/abc/confirm)."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc.message), "code": exc.code}, status=exc.status_code
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": _("Authentication required.")}, status=401)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: list[dict[str, Any]] = []
    for err in exc.errors:
        item = {k: v for k, v in err.items() if k in ("loc", "msg", "type")}
        errors.append(item)
    return api.create_response(request, {"detail": errors}, status=422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc.message)}, status=exc.status_code)


api.add_router("/", accounts_router)
api.add_router("/", circles_router)
api.add_router("/", ties_router)
api.add_router("/", invitations_router)
api.add_router("/", wallet_router)
api.add_router("/", matching_router)
api.add_router("/", meetups_router)
api.add_router("/", deals_router)
api.add_router("/", notifications_router)
api.add_router("/", conversation_router)
api.add_router("/", health_router)
api.add_router("/", portability_router)
