"""Django's ASGI handler with the middleware stack run synchronously, in one thread hop per request.

Django builds its middleware chain in async mode under ASGI and adapts every step that is not async-native: a
middleware built on `MiddlewareMixin` (all of Django's own: security, sessions, locale, common, CSRF, auth,
messages, clickjacking) runs its `process_request`/`process_view`/`process_response` each through
`sync_to_async`, and a sync-only one (WhiteNoise) turns the chain back with `async_to_sync`. Kindred's stack made
17 thread hops for one `/hello` (~1.7 ms of CPU in event-loop wake-ups and lock hand-offs, 2/3 of the request).

Here the chain is loaded in sync mode, exactly as under WSGI (the same middleware classes, in the same order,
with the same behaviour: their sync code paths are the ones every test exercises through Django's test client),
and the whole chain runs in one `sync_to_async` (thread-sensitive, as Django adapts it, so a request's sync code
keeps one thread and one database connection). A sync view costs no further hop; an async view (none today)
would run through `async_to_sync`, as Django does under WSGI. Everything else (reading the body, the request
signals, streaming the response, disconnects) is Django's own ASGI handler.
"""

from __future__ import annotations

import django
from django.core.handlers.asgi import ASGIHandler


class SyncStackASGIHandler(ASGIHandler):
    """`ASGIHandler` whose middleware chain is sync and entered once per request."""

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        # The one hop: what Django itself does at the top of a sync chain served in async mode.
        chain = self._middleware_chain  # type: ignore[has-type]  # set by load_middleware, untyped in the stubs
        self._middleware_chain = self.adapt_method_mode(True, chain, False)


def get_asgi_application() -> SyncStackASGIHandler:
    """`django.core.asgi.get_asgi_application`, with the handler above."""
    django.setup(set_prefix=False)
    return SyncStackASGIHandler()
