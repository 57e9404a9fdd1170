"""Django's ASGI handler with the middleware stack run synchronously, in one thread hop per request, on a fixed
set of request threads that keep their database connection.

Django builds its middleware chain in async mode under ASGI and adapts every step that is not async-native: a
middleware built on `MiddlewareMixin` (all of Django's own: security, sessions, locale, common, CSRF, auth,
messages, clickjacking) runs its `process_request`/`process_view`/`process_response` each through
`sync_to_async`, and a sync-only one (WhiteNoise) turns the chain back with `async_to_sync`. Kindred's stack made
17 thread hops for one `/hello` (~1.7 ms of CPU in event-loop wake-ups and lock hand-offs, 2/3 of the request).

Here the chain is loaded in sync mode, exactly as under WSGI (the same middleware classes, in the same order,
with the same behaviour: their sync code paths are the ones every test exercises through Django's test client),
and the whole chain (middleware and view) runs in one `sync_to_async`. A sync view costs no further hop; an async
view (none today) would run through `async_to_sync`, as Django does under WSGI. Everything else (reading the
body, the request signals, streaming the response, disconnects) is Django's own ASGI handler.

Threads: Django runs each request's sync code in a new thread of the request's own, so a database connection
could not outlive its request: every page opened one (on SQLite, with its PRAGMAs, ~1.6 ms of CPU, a quarter of
a light page). Here a request's sync code runs, whole, on one of `REQUEST_THREADS` long-lived threads, which
does for connections what a WSGI server's worker threads do: Django's request-boundary clean-up
(`close_old_connections`: a connection past CONN_MAX_AGE, in error or left in a transaction is closed) runs in
that thread before and after each request, so SQLite's connection (persistent) is reused and PostgreSQL's goes
back to its pool at the end of each request, as before. More requests at once than threads wait for one.
The request threads take turns at the request baton (kindred/core/baton.py): one request runs Python at a
time, and passes the baton on where it would wait (a statement on PostgreSQL, a SQLite write that may wait for
the lock) and at the end, instead of at every one of the drivers' GIL releases.

Django also opens a thread-sensitive context per request (`ThreadSensitiveContext`: a new single-thread executor,
so a new thread, for each request), for the sync code it runs thread-sensitively. With the chain on the request
threads, what is left of that is two short hops a request: `request_started`'s receivers and closing the response
(with `request_finished`'s: `close_old_connections` and the caches' `close`), and the reading of a sync streaming
body (WhiteNoise's small static files). Those run in asgiref's one thread for thread-sensitive code outside a
context instead, as they did before Django 3.2: starting and ending a thread per request cost ~0.4 ms of CPU, a
third of `/hello`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from kindred.core.baton import Baton, query_wrapper


@cache
def request_baton() -> Baton:
    """The process's request baton (kindred/core/baton.py): one request runs Python at a time."""
    return Baton()


@cache
def request_threads() -> ThreadPoolExecutor:
    """The process's request threads (one set, whatever the number of handlers)."""
    return ThreadPoolExecutor(max_workers=settings.REQUEST_THREADS, thread_name_prefix="kindred-request")


def _with_connection_cleanup(
    chain: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    baton = request_baton()
    around = query_wrapper(baton)

    def serve(request: HttpRequest) -> HttpResponseBase:
        with baton.held(), connections[DEFAULT_DB_ALIAS].execute_wrapper(around):
            close_old_connections()  # what request_started does, in the thread the request runs in
            try:
                return chain(request)
            finally:
                close_old_connections()  # and request_finished

    return serve


class SyncStackASGIHandler(ASGIHandler):
    """`ASGIHandler` whose middleware chain is sync and entered once per request, on the request threads."""

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain: Any = self._middleware_chain  # type: ignore[has-type]  # set by load_middleware, untyped in the stubs
        # The one hop. Not thread-sensitive: the whole chain runs in one call, so one thread serves the request.
        self._middleware_chain = sync_to_async(
            _with_connection_cleanup(chain), thread_sensitive=False, executor=request_threads()
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Django's entry point without a thread-sensitive context of the request's own (see above)."""
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)


def get_asgi_application() -> SyncStackASGIHandler:
    """`django.core.asgi.get_asgi_application`, with the handler above."""
    django.setup(set_prefix=False)
    return SyncStackASGIHandler()
