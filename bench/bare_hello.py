"""The baseline of the web benches: a bare Django app, one view, no middleware, no database.

    python -m uvicorn bench.bare_hello:application --lifespan off --no-access-log

`bench/web.py` serves it under the same uvicorn, with the same options and worker count, as `kindred serve`,
so a ratio against it measures what Kindred adds on top of Django itself.
"""

from __future__ import annotations

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-bare-hello-not-secret",  # noqa: S106 - a loopback benchmark app
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_TZ=True,
    )
    django.setup()


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("hello", hello)]

from django.core.asgi import get_asgi_application  # noqa: E402 - after settings, as Django asks

application = get_asgi_application()
