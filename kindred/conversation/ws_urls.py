"""WebSocket routes (kindred/asgi.py). Any other WebSocket path is refused at the handshake (403)."""

from __future__ import annotations

from channels.security.websocket import WebsocketDenier
from django.urls import path, re_path

from .consumers import CircleConsumer

websocket_urlpatterns = [
    path("ws/circles/<str:slug>/", CircleConsumer.as_asgi()),
    re_path(r"", WebsocketDenier.as_asgi()),
]
