"""Account pages. Sign-in, sign-out, password change and reset are Django's own auth views (see urls.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kindred.core.services import NotFound, ServiceError

from . import services
from .forms import TokenCreateForm
from .selectors import token_get_for_user, token_list


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List my tokens; create one (its raw value is shown on this one response only)."""
    user = _user(request)
    form = TokenCreateForm(request.POST or None)
    created = None
    raw = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created, raw = services.token_create(user=user, name=form.cleaned_data["name"])
            except ServiceError as exc:
                form.add_error("name", str(exc.message))
            else:
                form = TokenCreateForm()
        if created is None:
            status = 400
    context = {"form": form, "tokens": token_list(user=user), "created": created, "raw_token": raw}
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of my tokens; someone else's token is a 404, as if it did not exist."""
    user = _user(request)
    try:
        token = services.token_revoke(token=token_get_for_user(user=user, token_id=token_id), user=user)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:tokens")
