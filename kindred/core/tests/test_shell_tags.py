"""The shell's tags (core/templatetags/kindred_nav.py): `asset` is `{% static %}` asked once per path, and asked
again when a setting changes (a test's other storage or STATIC_URL)."""

from __future__ import annotations

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
