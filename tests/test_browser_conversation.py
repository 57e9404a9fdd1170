"""The circle's conversation in Debian's Chromium (Playwright), two members in two browser contexts against a
real `kindred serve` that serves WebSockets (tests/http's harness, not pytest-django's live_server).

王爱丽 posts and Bob Chen sees it without reloading; she sends a red envelope and he grabs it right in the
stream; then Bob goes offline, she posts twice, and back online he sees both, once each and in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CHROMIUM
from tests.http.harness import PASSWORD, Server, start_server

pytestmark = [pytest.mark.browser]
if not CHROMIUM.exists():
    pytestmark.append(pytest.mark.skip(reason="no /usr/bin/chromium: `apt-get install chromium`"))

TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running, stop = start_server()
    try:
        yield running
    finally:
        stop()


def sign_in(new_page: Any, server: Server, username: str) -> Any:
    page = new_page(base_url=server.base_url, locale="zh-CN")
    page.set_default_timeout(TIMEOUT_MS)
    page.on("dialog", lambda dialog: dialog.accept())  # the topic guard's "post it anyway?"
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/c/{server.slug}/")
    page.wait_for_selector('#stream[data-live="live"]')
    return page


def post(page: Any, text: str) -> None:
    page.fill("#id_text", text)
    page.click("#composer button[type=submit]")
    page.wait_for_function("() => document.querySelector('#id_text').value === ''")


def test_two_members_talk_grab_an_envelope_and_catch_up_after_going_offline(
    new_page: Any, server: Server
) -> None:
    alice = sign_in(new_page, server, "alice")
    bob = sign_in(new_page, server, "bob")

    # 1. She posts; he sees it without reloading (and she sees her own once).
    post(alice, "大家好，我是王爱丽 👋")
    bob.locator("#stream li.msg", has_text="大家好，我是王爱丽 👋").wait_for()
    assert alice.locator("#stream li.msg", has_text="大家好，我是王爱丽 👋").count() == 1

    # 2. She sends a red envelope (through the API); its card arrives in his stream and he grabs it there.
    api = server.api("alice")
    assert api.post("/api/v1/wallet/topups", json={"amount_fen": 10_000}).status_code in (200, 201)
    sent = api.post(
        f"/api/v1/circles/{server.slug}/envelopes",
        json={"total_fen": 888, "shares": 3, "mode": "lucky", "greeting": "恭喜发财，新群开张"},
    )
    assert sent.status_code == 201, sent.text
    card = bob.locator("#stream li.msg-envelope_sent", has_text="恭喜发财，新群开张")
    card.locator("button.grab").click()
    card = bob.locator("#stream li.msg-envelope_sent", has_text="你抢到了")
    card.wait_for()
    assert bob.locator("#stream li.msg-envelope_sent").count() == 1

    # 3. He goes offline; she posts twice; back online he sees both, once each, in order, with no reload.
    bob.evaluate("() => { window.__kept = document.getElementById('stream'); }")
    bob.context.set_offline(True)
    # The emulated network keeps an open socket; a real one drops it: close it as the network would.
    bob.evaluate("() => document.getElementById('stream').kindredConversation.socket.close()")
    bob.wait_for_selector('#stream[data-live="offline"]')
    post(alice, "短剧出海发行的项目，第一条")
    post(alice, "动画IP授权的合作，第二条")
    assert bob.locator("#stream li.msg", has_text="第一条").count() == 0
    bob.context.set_offline(False)
    bob.locator("#stream li.msg", has_text="动画IP授权的合作，第二条").wait_for()
    texts = bob.locator("#stream li.msg .msg-text").all_inner_texts()
    assert texts.count("短剧出海发行的项目，第一条") == 1 and texts.count("动画IP授权的合作，第二条") == 1
    assert texts.index("短剧出海发行的项目，第一条") < texts.index("动画IP授权的合作，第二条")
    assert bob.evaluate("() => window.__kept === document.getElementById('stream')")  # the same page
    ids = [int(x) for x in bob.locator("#stream li.msg").evaluate_all("els => els.map(e => e.dataset.id)")]
    assert ids == sorted(set(ids))
