from django.urls import include, path, re_path

from kindred.api import api
from kindred.api import not_found as api_not_found
from kindred.core import views as core_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),  # an unmatched API URL answers JSON, like every other API error
    path("healthz", core_views.healthz, name="healthz"),
    path("hello", core_views.hello, name="hello"),
    path("accounts/", include("kindred.accounts.urls")),
    # Each domain app's urls.py carries its full paths (circle pages live under c/<slug>/).
    path("", include("kindred.invitations.urls")),
    path("", include("kindred.wallet.urls")),
    path("", include("kindred.matching.urls")),
    path("", include("kindred.meetups.urls")),
    path("", include("kindred.deals.urls")),
    path("", include("kindred.health.urls")),
    path("", include("kindred.portability.urls")),
    path("", include("kindred.notifications.urls")),
    path("", include("kindred.ties.urls")),
    path("", include("kindred.conversation.urls")),  # the circle's home c/<slug>/ is its conversation
    path("", include("kindred.circles.urls")),
]
