"""Looks, measured in Debian's Chromium: contrast of the opened red envelope, the phone menu, chips.

- Every text of the red envelope, closed and opened, meets WCAG AA (4.5:1) against the colour behind it
  (the opened one showed its sender white on white, its greeting pale gold on white).
- At phone width the navigation is one row: a "menu" disclosure (<details>, no script) that opens the
  circle's and the account's links, the current one marked with aria-current.
- Chips never break inside: each is one line.
"""

from __future__ import annotations

from typing import Any

import pytest

from kindred.circles.services import card_update
from kindred.wallet.services import envelope_grab, envelope_send, topup_create

from .conftest import CHROMIUM, PASSWORD, Seeded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

if not CHROMIUM.exists():
    pytestmark.append(
        pytest.mark.skip(
            reason="no /usr/bin/chromium: install Debian's browser with `apt-get install chromium`"
        )
    )

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 20_000
AA = 4.5

# The colour of each element's text and of the nearest ancestor that paints a background.
COLOURS_JS = """
(selector) => [...document.querySelectorAll(selector)].map((el) => {
  let bg = el;
  while (bg && ['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(bg).backgroundColor)) {
    bg = bg.parentElement;
  }
  return [getComputedStyle(el).color, bg ? getComputedStyle(bg).backgroundColor : 'rgb(255, 255, 255)'];
})
"""


def _rgb(css: str) -> tuple[float, ...]:
    parts = css[css.index("(") + 1 : css.index(")")].replace("/", " ").replace(",", " ").split()
    return tuple(float(p) for p in parts[:3])


def _luminance(rgb: tuple[float, ...]) -> float:
    channels = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(fg: str, bg: str) -> float:
    high, low = sorted((_luminance(_rgb(fg)), _luminance(_rgb(bg))), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _signed_in(new_page: Any, base: str, username: str, viewport: dict[str, int]) -> Any:
    page = new_page(base_url=base, viewport=viewport, locale="zh-CN")
    page.set_default_timeout(TIMEOUT_MS)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form[action$='/accounts/login/'] button[type=submit]").click()
    assert "/accounts/login/" not in page.url
    return page


def _low_contrast(page: Any, selector: str) -> list[str]:
    pairs = page.evaluate(COLOURS_JS, selector)
    assert pairs, f"nothing matches {selector}"
    return [
        f"{selector}: {fg} on {bg} is {contrast(fg, bg):.2f}:1" for fg, bg in pairs if contrast(fg, bg) < AA
    ]


def test_red_envelope_text_meets_aa_closed_and_opened(
    seeded: Seeded, new_page: Any, live_server: Any
) -> None:
    alice, bob = seeded.members
    topup_create(user=alice.user, amount_fen=10_000, reference="looks")
    envelope = envelope_send(
        sender=alice, total_fen=1_000, shares=2, mode="equal", greeting="恭喜发财，大吉大利"
    )
    url = f"/c/{seeded.circle.slug}/envelopes/{envelope.pk}/"

    closed = _signed_in(new_page, live_server.url, seeded.admin.user.get_username(), PHONE)
    closed.goto(url)
    assert closed.locator(".hongbao:not(.opened)").count() == 1
    problems = _low_contrast(closed, ".hongbao .from") + _low_contrast(closed, ".hongbao .wish")

    envelope_grab(envelope=envelope, member=bob)
    opened = _signed_in(new_page, live_server.url, bob.user.get_username(), PHONE)
    opened.goto(url)
    assert opened.locator(".hongbao.opened").count() == 1
    for selector in (".hongbao.opened .from", ".hongbao.opened .wish", ".hongbao.opened .amount"):
        problems += _low_contrast(opened, selector)
    assert problems == []


def test_phone_navigation_is_one_row_with_a_menu(seeded: Seeded, new_page: Any, live_server: Any) -> None:
    directory = f"/c/{seeded.circle.slug}/members/"
    page = _signed_in(new_page, live_server.url, seeded.origin.user.get_username(), PHONE)
    page.goto(directory)
    assert not page.locator("nav.circlenav").is_visible()
    assert not page.locator("nav.account").is_visible()
    header = page.locator("header.topbar").bounding_box()
    brand = page.locator("header .brand").bounding_box()
    assert header["height"] < 2.2 * brand["height"], (header, brand)  # one row
    menu = page.locator("details.menu")
    assert menu.is_visible()
    assert not menu.locator(f"a[href='{directory}']").is_visible()
    menu.locator("summary").click()
    current = menu.locator(f"a[href='{directory}']")
    assert current.is_visible()
    assert current.get_attribute("aria-current") == "page"

    desktop = _signed_in(new_page, live_server.url, seeded.origin.user.get_username(), DESKTOP)
    desktop.goto(directory)
    assert desktop.locator("nav.circlenav").is_visible()
    assert not desktop.locator("details.menu").is_visible()
    assert desktop.locator(f"nav.circlenav a[href='{directory}']").get_attribute("aria-current") == "page"


def test_chips_never_break_inside(seeded: Seeded, new_page: Any, live_server: Any) -> None:
    alice = seeded.members[0]
    card_update(
        membership=alice,
        fields={},
        offer_tags=[
            "短视频发行与海外版权代理合作以及长视频联合出品和纪录片制作",
            "Documentary co-production",
            "PPT",
        ],
    )
    page = _signed_in(
        new_page, live_server.url, seeded.origin.user.get_username(), {"width": 320, "height": 700}
    )
    page.goto(f"/c/{seeded.circle.slug}/members/{alice.pk}/")
    lines = page.evaluate(
        """() => [...document.querySelectorAll('.tag')].map((el) => {
             const style = getComputedStyle(el);
             const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.6;
             const box = el.getBoundingClientRect();
             const pad = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)
               + parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
             return [el.textContent.trim(), Math.round((box.height - pad) / line)];
           })"""
    )
    assert len(lines) >= 3
    assert [text for text, n in lines if n > 1] == []
