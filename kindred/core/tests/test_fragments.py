"""The versioned fragment cache (kindred.core.fragments): found again only under the same version and
language; one cache round trip for a list; never a stale entry."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString

from kindred.core.fragments import cached_value, fragment, fragment_key, fragments, fragments_batch


class _Counting:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    def __call__(self, item: Any) -> str:
        self.calls.append(item)
        return format_html("<li>{}</li>", item["name"])


def _parts(item: dict[str, Any]) -> tuple[int, int]:
    return (item["id"], item["version"])


def test_rendered_once_per_version_then_kept() -> None:
    render = _Counting()
    rows = [{"id": 1, "version": 1, "name": "甲"}, {"id": 2, "version": 1, "name": "<b>"}]
    first = fragments("t.card", rows, _parts, render)
    assert first == ["<li>甲</li>", "<li>&lt;b&gt;</li>"]
    assert all(isinstance(h, SafeString) for h in first)
    assert fragments("t.card", rows, _parts, render) == first
    assert len(render.calls) == 2  # the second page came from the cache


def test_a_new_version_is_rendered_at_once() -> None:
    render = _Counting()
    fragments("t.card", [{"id": 1, "version": 1, "name": "old"}], _parts, render)
    again = fragments("t.card", [{"id": 1, "version": 2, "name": "new"}], _parts, render)
    assert again == ["<li>new</li>"]


def test_language_is_part_of_the_key() -> None:
    def render() -> str:
        return translation.get_language() or ""

    with translation.override("zh-hans"):
        assert fragment("t.lang", (1, 1), render) == "zh-hans"
    with translation.override("en"):
        assert fragment("t.lang", (1, 1), render) == "en"
    with translation.override("zh-hans"):
        assert fragment("t.lang", (1, 1), lambda: "other") == "zh-hans"  # kept


def test_a_list_costs_one_read_and_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_get, real_set = cache.get_many, cache.set_many

    def get_many(keys: list[str]) -> dict[str, Any]:
        calls.append("get")
        return real_get(keys)

    def set_many(values: dict[str, Any], timeout: int) -> list[str]:
        calls.append("set")
        return real_set(values, timeout)

    monkeypatch.setattr(cache, "get_many", get_many)
    monkeypatch.setattr(cache, "set_many", set_many)
    rows = [{"id": i, "version": 1, "name": str(i)} for i in range(20)]
    fragments("t.card", rows, _parts, _Counting())
    assert calls == ["get", "set"]
    calls.clear()
    fragments("t.card", rows, _parts, _Counting())
    assert calls == ["get"]  # all found: nothing written


def test_duplicates_rendered_once() -> None:
    render = _Counting()
    row = {"id": 7, "version": 3, "name": "x"}
    assert fragments("t.card", [row, row], _parts, render) == ["<li>x</li>", "<li>x</li>"]
    assert len(render.calls) == 1


def test_names_keep_apart() -> None:
    assert fragment("t.a", (1,), lambda: "a") == "a"
    assert fragment("t.b", (1,), lambda: "b") == "b"


def test_keys_are_short_and_safe() -> None:
    key = fragment_key("t.card", ("空格 与\n换行" * 100, 1), language="zh-hans")
    assert len(key) < 80 and key.isascii() and " " not in key
    stamp = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    assert fragment_key("t.card", (1, stamp), language="en") != fragment_key(
        "t.card", (1, stamp + datetime.timedelta(microseconds=1)), language="en"
    )
    assert fragment_key("t.card", (1, "1"), language="en") != fragment_key("t.card", (1, 1), language="en")


def test_parts_must_be_plain_values() -> None:
    with pytest.raises(TypeError):
        fragment_key("t.card", (object(),), language="en")  # type: ignore[arg-type]


def test_cached_value_is_language_free() -> None:
    computed: list[int] = []

    def compute() -> dict[int, frozenset[int]]:
        computed.append(1)
        return {1: frozenset({2, 3})}

    with translation.override("en"):
        assert cached_value("t.graph", (5, 1), compute) == {1: frozenset({2, 3})}
    with translation.override("zh-hans"):
        assert cached_value("t.graph", (5, 1), compute) == {1: frozenset({2, 3})}
    assert len(computed) == 1
    assert cached_value("t.graph", (5, 2), lambda: {}) == {}  # a new version: computed again


def test_a_cache_that_fails_still_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "set_many", down)
    assert fragment("t.down", (1,), lambda: "ok") == "ok"


def test_batch_renders_only_the_missing_together() -> None:
    batches: list[list[int]] = []

    def render_missing(ids: list[int]) -> list[str]:
        batches.append(ids)
        return [f"<p>{i}</p>" for i in ids]

    assert fragments_batch("t.batch", [1, 2], lambda i: (i, 1), render_missing) == ["<p>1</p>", "<p>2</p>"]
    assert fragments_batch("t.batch", [3, 1, 2, 3], lambda i: (i, 1), render_missing) == [
        "<p>3</p>",
        "<p>1</p>",
        "<p>2</p>",
        "<p>3</p>",
    ]
    assert batches == [[1, 2], [3]]


def test_forms_in_a_kept_fragment_get_the_requests_csrf_token() -> None:
    from django.template import Context, Template
    from django.test import RequestFactory

    from kindred.core.fragments import CSRF_SLOT, with_csrf

    template = Template('<form method="post">{% csrf_token %}</form>')
    html = fragment("t.form", (1,), lambda: template.render(Context({"csrf_token": CSRF_SLOT})))
    pages = []
    for _ in range(2):
        request = RequestFactory().get("/")
        pages.append(with_csrf(request, html))
        assert CSRF_SLOT not in pages[-1] and request.META["CSRF_COOKIE"]
    assert pages[0] != pages[1]  # each request its own token, from one kept fragment


def test_keys_carry_the_code_fingerprint() -> None:
    from kindred.core.fragments import code_fingerprint

    fingerprint = code_fingerprint()
    assert len(fingerprint) == 16 and fingerprint == code_fingerprint()
    key = fragment_key("t.card", (1,), language="en")
    code_fingerprint.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("kindred.core.fragments.code_fingerprint", lambda: "another-deploy")
            assert fragment_key("t.card", (1,), language="en") != key
    finally:
        code_fingerprint.cache_clear()
    assert fragment_key("t.card", (1,), language="en") == key


def test_a_value_kept_here_too_is_found_without_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from kindred.core import fragments as module

    computed: list[int] = []

    def compute() -> dict[str, int]:
        computed.append(1)
        return {"n": len(computed)}

    first = cached_value("t.here", (1, 1), compute, here=True)
    monkeypatch.setattr(cache, "get_many", lambda keys: pytest.fail("read from the cache"))
    assert cached_value("t.here", (1, 1), compute, here=True) is first
    monkeypatch.undo()
    assert cached_value("t.here", (1, 2), compute, here=True) == {"n": 2}  # a new version
    monkeypatch.setattr(module, "HERE_ENTRIES", 1)
    cached_value("t.here", (1, 3), compute, here=True)
    assert len(module._here) == 1  # bounded


def test_forget_all_drops_kept_values_and_this_process_copies_but_not_other_keys() -> None:
    """What `kindred restore` (and every test's start) relies on: a version reached again after forget_all
    is computed afresh, from the cache and from this process's own copy; keys that are not ours (the
    background engine's, the channel layer's, on a shared Redis) stay."""
    from django.core.cache import cache

    from kindred.core.fragments import cached_value, forget_all

    computed: list[int] = []

    def compute() -> int:
        computed.append(1)
        return len(computed)

    assert cached_value("test.forget", (7,), compute, here=True) == 1
    assert cached_value("test.forget", (7,), compute) == 1  # kept in the cache too
    assert cached_value("test.forget", (7,), compute, here=True) == 1
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is not None:
        client(None, write=True).set("not-kindred:forget-test", b"kept")
    forget_all()
    assert cached_value("test.forget", (7,), compute, here=True) == 2
    assert computed == [1, 1]
    if client is not None:
        redis = client(None, write=True)
        assert redis.get("not-kindred:forget-test") == b"kept"
        redis.delete("not-kindred:forget-test")
