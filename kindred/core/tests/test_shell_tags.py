"""The shell's tags (core/templatetags/kindred_nav.py): `asset` is `{% static %}` asked once per path, and asked
again when a setting changes (a test's other storage or STATIC_URL); and the static files are part of the code's
fingerprint (core.fragments), which every kept page's key carries."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import override_settings

BOTH = Template(
    "{% load static kindred_nav %}{% static 'kindred/kindred.css' %}|{% asset 'kindred/kindred.css' %}"
)


def test_asset_is_the_static_url_and_follows_the_settings() -> None:
    static, asset = BOTH.render(Context()).split("|")
    assert static == asset and asset.endswith(".css")
    with override_settings(STATIC_URL="/elsewhere/"):
        static, asset = BOTH.render(Context()).split("|")
        assert asset == static and asset.startswith("/elsewhere/")
    static, asset = BOTH.render(Context()).split("|")
    assert asset == static and not asset.startswith("/elsewhere/")


def test_a_changed_style_sheet_is_a_new_code_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept page names the static files by their hashed URLs: a deploy that changes only a style sheet or a
    script gets new keys too."""
    from kindred.core import fragments

    (tmp_path / "static").mkdir()
    sheet = tmp_path / "static" / "kindred.css"
    sheet.write_text("body { color: black }")
    monkeypatch.setattr(fragments, "_CODE", tmp_path)
    before = fragments.code_fingerprint.__wrapped__()
    sheet.write_text("body { color: red }")
    assert fragments.code_fingerprint.__wrapped__() != before
