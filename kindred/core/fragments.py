"""Versioned fragment caching: the one way a page keeps a rendered piece of HTML (or a small computed
structure) in `django.core.cache` and never shows it stale.

The rule that makes it safe: a cached entry is found again only under the *version* it was made from. The
caller passes the parts of that version (the object's id and a stamp that every change of what the fragment
shows moves: an integer version column, `updated_at`, a circle-wide counter), read in the same query as the
list it renders, so a changed row is simply looked up under a new key and the old entry ages out. Nothing is
ever deleted or invalidated by hand, and it holds across processes (the stamp lives in the database, not in
one process's memory), on the in-process LocMemCache as on Redis.

HTML fragments also vary on the active language and time zone: a card rendered in zh-Hans never answers for
an English page.

    html = fragment("circles.card", (card.pk, card.version), lambda: render_to_string(...))
    htmls = fragments("circles.card", rows, lambda r: (r["pk"], r["version"]), render_row)  # one round trip
    htmls = fragments_batch("circles.card", ids, version_of, render_missing)  # one query for the missing
    value = cached_value("ties.graph", (circle.pk, circle.ties_version), compute_graph)

Only cache what every viewer of that version may see: per-viewer parts are computed apart (or cached under
parts that name the viewer). Rendered HTML is returned marked safe, so only pass renderers whose output is
already escaped (Django templates, `format_html`).
"""

from __future__ import annotations

import datetime
import decimal
import functools
import hashlib
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe

log = logging.getLogger(__name__)

T = TypeVar("T")
V = TypeVar("V")

# Bounded lifetime: entries of old versions are never read again; they leave on their own after this long
# (or earlier, when the cache evicts them).
FRAGMENT_TIMEOUT = 24 * 60 * 60

# The values a version part may be: plain values whose repr is the same in every process.
Part = int | str | float | bool | None | datetime.datetime | datetime.date | decimal.Decimal | uuid.UUID
_PART_TYPES = (int, str, float, bool, type(None), datetime.date, decimal.Decimal, uuid.UUID)

_PREFIX = "frag"


_CODE = Path(__file__).resolve().parents[1]  # the kindred package
# The static files too: a kept page names them by their hashed URLs (the conversation's home keeps its shell).
_CODE_SUFFIXES = (".py", ".html", ".txt", ".mo", ".css", ".js")


@functools.cache
def code_fingerprint() -> str:
    """A digest of the code, templates, catalogues and static files that render what is kept: part of every
    key, so a deploy that changes how something looks never serves what the old code rendered (on a shared
    Redis), nor a kept page naming a style sheet or script of the old deploy.
    The same in every process of one deploy. Read once per process (~20 ms)."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(_CODE.rglob("*")):
        if path.suffix in _CODE_SUFFIXES and "tests" not in path.parts and path.is_file():
            digest.update(str(path.relative_to(_CODE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def fragment_key(name: str, parts: Iterable[Part], *, language: str | None) -> str:
    """The cache key of fragment `name` at version `parts` (in `language`, None for language-free values).

    Hashed, so any text in the parts gives a short key that every backend accepts."""
    parts = tuple(parts)
    for part in parts:
        if not isinstance(part, _PART_TYPES):
            raise TypeError(
                f"fragment {name!r}: a version part must be a plain value, not {type(part).__name__}"
            )
    digest = hashlib.blake2b(
        repr((code_fingerprint(), CSRF_SLOT, name, language, parts)).encode(), digest_size=20
    ).hexdigest()
    return f"{_PREFIX}:{name}:{digest}"


def _language() -> str:
    return f"{translation.get_language() or ''}|{timezone.get_current_timezone_name()}"


def _get_many(keys: list[str]) -> dict[str, object]:
    try:
        return cache.get_many(keys)
    except Exception:  # a cache that is down: render, never fail the page
        log.exception("fragment cache read failed")
        return {}


def _set_many(values: Mapping[str, object], timeout: int) -> None:
    try:
        cache.set_many(dict(values), timeout)
    except Exception:
        log.exception("fragment cache write failed")


def _cached_many(
    name: str,
    items: Sequence[T],
    parts: Callable[[T], Iterable[Part]],
    make_many: Callable[[list[T]], Sequence[V]],
    *,
    language: str | None,
    timeout: int,
) -> list[V]:
    keys = [fragment_key(name, parts(item), language=language) for item in items]
    found = _get_many(list(dict.fromkeys(keys))) if keys else {}
    missing: dict[str, T] = {}
    for key, item in zip(keys, items, strict=True):
        if key not in found and key not in missing:
            missing[key] = item
    if missing:
        made = dict(zip(missing, make_many(list(missing.values())), strict=True))
        _set_many(made, timeout)
        found = {**found, **made}
    return [found[key] for key in keys]  # type: ignore[misc]


def fragments(
    name: str,
    items: Sequence[T],
    parts: Callable[[T], Iterable[Part]],
    render: Callable[[T], str],
    *,
    timeout: int = FRAGMENT_TIMEOUT,
) -> list[SafeString]:
    """The HTML of each item, in order: fetched in one `get_many`, the missing ones rendered and stored in one
    `set_many`. `parts(item)` is the item's version (id and stamp)."""
    return fragments_batch(
        name, items, parts, lambda missing: [render(item) for item in missing], timeout=timeout
    )


def fragments_batch(
    name: str,
    items: Sequence[T],
    parts: Callable[[T], Iterable[Part]],
    render_missing: Callable[[list[T]], Sequence[str]],
    *,
    timeout: int = FRAGMENT_TIMEOUT,
) -> list[SafeString]:
    """As `fragments`, for renderers that load what they show: `render_missing(items)` gets every item not
    cached at once (so it can read them in one query) and returns their HTML in the same order."""

    def make_many(missing: list[T]) -> list[str]:
        return [str(html) for html in render_missing(missing)]

    html = _cached_many(name, items, parts, make_many, language=_language(), timeout=timeout)
    return [mark_safe(h) for h in html]  # noqa: S308 - rendered by the caller's escaping renderer


def fragment(
    name: str, parts: Iterable[Part], render: Callable[[], str], *, timeout: int = FRAGMENT_TIMEOUT
) -> SafeString:
    """The HTML of one fragment at version `parts`, rendered by `render()` when not cached."""
    version = tuple(parts)
    return fragments(name, [None], lambda _: version, lambda _: render(), timeout=timeout)[0]


# Values kept in this process too (cached_value(..., here=True)): found again without a cache round trip
# nor unpickling. Bounded; the least recently used leave first.
HERE_ENTRIES = 64
_here: OrderedDict[str, object] = OrderedDict()
_here_lock = threading.Lock()


def cached_value(
    name: str,
    parts: Iterable[Part],
    compute: Callable[[], V],
    *,
    timeout: int = FRAGMENT_TIMEOUT,
    here: bool = False,
) -> V:
    """A language-free computed value (a small picklable structure) at version `parts`.

    `here=True` also keeps it in this process's memory (for a structure read on most requests, whose
    unpickling costs): only for parts that never come back with other contents in this process (a version
    that only grows, read with the request), since this copy does not leave with the cache's `clear()`.
    The value is shared: never change it."""
    version = tuple(parts)
    if not here:
        return _cached_many(
            name, [None], lambda _: version, lambda _: [compute()], language=None, timeout=timeout
        )[0]
    key = fragment_key(name, version, language=None)
    with _here_lock:
        if key in _here:
            _here.move_to_end(key)
            return _here[key]  # type: ignore[return-value]
    value = cached_value(name, version, compute, timeout=timeout)
    with _here_lock:
        _here[key] = value
        while len(_here) > HERE_ENTRIES:
            _here.popitem(last=False)
    return value


def forget_all() -> None:
    """Drop every kept fragment and value: for a database whose versions went back (a restore, a test's
    rollback), whose old entries could otherwise answer for new rows at the same versions. On Redis only
    our own keys go (the background engine's queue and the channel layer share the server); the in-process
    cache is cleared; and this process's own copies go too. Other server processes keep theirs in memory:
    they are restarted after a restore."""
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is None:
        cache.clear()
    else:
        redis = client(None, write=True)
        stale = list(redis.scan_iter(cache.make_key("*")))
        for start in range(0, len(stale), 1000):
            redis.delete(*stale[start : start + 1000])
    with _here_lock:
        _here.clear()


def _csrf_slot() -> str:
    """Derived from SECRET_KEY, so no text a member writes into a kept fragment can name it (a message whose
    text was a fixed slot would have shown each reader their own token in its place)."""
    return "kindred-csrf-" + salted_hmac("kindred.core.fragments.CSRF_SLOT", "slot").hexdigest()[:32]


# A fragment with forms is rendered with this in place of the CSRF token (pass it as the template's
# `csrf_token`) and filled per request by `with_csrf`: the token is per session, the fragment is not.
# Part of every key, with the code's fingerprint: a new SECRET_KEY never fills an old fragment's slot.
CSRF_SLOT = _csrf_slot()


def csrf_token(request: HttpRequest) -> str:
    """This request's (masked) CSRF token, masked once per request: Django's get_token masks the secret anew
    on every call (32 random characters from the system's generator, ~50 µs). A view that passes it as its
    template's `csrf_token` gives the page's forms and its kept fragments one token. A new secret (a sign-in
    rotates it) gets a new token."""
    secret = request.META.get("CSRF_COOKIE")
    kept = getattr(request, "_kindred_csrf", None)
    if kept is not None and secret is not None and kept[0] == secret:
        return str(kept[1])
    token = get_token(request)
    request._kindred_csrf = (request.META.get("CSRF_COOKIE"), token)  # type: ignore[attr-defined]
    return token


def with_csrf(request: HttpRequest, html: str) -> SafeString:
    """`html` (a fragment rendered with `csrf_token=CSRF_SLOT`) with this request's CSRF token filled in."""
    return mark_safe(html.replace(CSRF_SLOT, csrf_token(request)))  # noqa: S308 - the token is URL-safe
