"""The ASGI application `kindred serve` runs: Django for HTTP, Channels for the conversation's WebSockets.

WebSocket handshakes pass the origin check and sign-in of kindred/conversation/auth.py (the session cookie for
browsers, an `Authorization: Bearer` token for other clients), then the routes of kindred/conversation/ws_urls.py.
"""

import gc
import os

from kindred.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings.dev")

# Django first: the apps must be loaded before the consumers (and their models) are imported. Its middleware
# stack runs sync, in one thread hop per request (kindred/core/asgi.py).
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from kindred.conversation.auth import BearerTokenMiddleware, OriginOrBearer  # noqa: E402
from kindred.conversation.ws_urls import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": OriginOrBearer(
            AuthMiddlewareStack(BearerTokenMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# Every view and the API now rather than at the first request; then everything loaded at start-up, which lives as
# long as the process, is left out of the garbage collector's full collections (~140k objects: ~60 ms of CPU for
# each full collection, a stall of the requests in flight).
get_resolver().url_patterns  # noqa: B018 (imports the URLconf)
gc.freeze()
