"""The whole journey in Debian's Chromium (Playwright), against the live server.

organizer signs in and creates a circle → a member nominates someone → the organizer approves and copies the
link → the invitee opens it, creates the account, fills the card, and ties up with someone they know (the
newcomer's suggestions) → the tie is confirmed → the directory shows the newcomer with the mutual tie.

Every user has their own browser context (own cookies). Selectors are ids, names and form actions, never
translated text. Set KINDRED_SCREENSHOTS=1 to also write the README's screenshots into docs/screenshots/
(the journey's directory, and the demo circle at phone and desktop width).

Needs /usr/bin/chromium (Debian package `chromium`); the tests skip without it. Never downloads a browser.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from kindred.circles.models import Circle, Membership
from kindred.circles.services import membership_create
from kindred.ties.services import tie_record_sponsor

from .conftest import CHROMIUM, PASSWORD

# serialized_rollback: the flush after each test would otherwise wipe the rows of data migrations (industries).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = os.environ.get("KINDRED_SCREENSHOTS", "") not in ("", "0")
SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
TIMEOUT_MS = 20_000

if not CHROMIUM.exists():
    pytestmark.append(
        pytest.mark.skip(
            reason="no /usr/bin/chromium: install Debian's browser with `apt-get install chromium`"
        )
    )


class Person:
    """One user's browser context: their own cookies, a page, helpers that fail on any 4xx/5xx page."""

    def __init__(self, new_page: Any, base_url: str, viewport: dict[str, int] = DESKTOP) -> None:
        self.page = new_page(base_url=base_url, viewport=viewport, locale="zh-CN")
        self.context = self.page.context
        self.context.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )

    def goto(self, path: str) -> Any:
        response = self.page.goto(path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        return response

    def submit(self, form_selector: str) -> None:
        """Submit the form in <main> matching `form_selector` with its own submit button; wait for the page."""
        form = self.page.locator(f"main {form_selector}").first
        with self.page.expect_navigation():
            form.locator("button[type=submit], button:not([type])").first.click()

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.goto("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.submit("form[action$='/accounts/login/']")
        assert "/accounts/login/" not in self.page.url, f"sign-in as {username} failed"

    def close(self) -> None:
        self.context.close()
        assert not self.errors, self.errors


def shoot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)


def test_journey_organizer_to_newcomer_with_mutual_tie(
    new_page: Any, live_server: Any, make_user: Any, settings: Any
) -> None:
    settings.SITE_URL = live_server.url  # invitation links are absolute, to the site
    make_user("laozhou", first_name="老周")
    alice_user = make_user("alice")
    base = live_server.url

    # 1. The organizer signs in and creates the circle; members may nominate from day one.
    organizer = Person(new_page, base)
    organizer.sign_in("laozhou")
    organizer.goto("/circles/new/")
    page = organizer.page
    page.fill("#id_name", "新文娱产业群")
    page.fill("#id_slug", "xinwenyu")
    page.fill("#id_display_name", "老周")
    page.select_option("#id_nomination_policy", "members_after_days")
    page.fill("#id_nominate_after_days", "0")
    organizer.submit("form[method=post]")
    assert page.url.rstrip("/").endswith("/c/xinwenyu"), page.url
    circle = Circle.objects.get(slug="xinwenyu")
    origin = Membership.objects.get(circle=circle, sponsor__isnull=True)
    assert origin.user.get_username() == "laozhou"

    # The organizer's first invitee, 王爱丽, is already in (as after a direct invitation).
    with transaction.atomic():
        alice = membership_create(
            circle=circle,
            user=alice_user,
            sponsor=origin,
            card_fields={"display_name": "王爱丽", "company": "星河影业", "city": "北京"},
        )
        tie_record_sponsor(sponsor=origin, invitee=alice)

    # 2. 王爱丽 nominates 张三, with a draft card.
    member = Person(new_page, base)
    member.sign_in("alice")
    member.goto("/c/xinwenyu/nominate/")
    page = member.page
    page.fill("#id_name", "张三")
    page.fill("#id_email", "zhangsan@example.com")
    page.select_option("#id_relationship", "colleague")
    page.fill("#id_years_known", "6")
    page.check("input[name=closeness][value='4']")
    page.fill("#id_reason", "做了十年动画发行，圈子里缺这一环。")
    page.fill("#id_company", "青山动画")
    page.fill("#id_city", "杭州")
    member.submit("form[action$='/nominate/']")
    assert "/c/xinwenyu/nominate/" in page.url
    assert page.locator("main table").get_by_text("张三").count() == 1

    # 3. The organizer approves in the review queue and copies the one-time link.
    organizer.goto("/c/xinwenyu/review/")
    page = organizer.page
    card = page.locator("main article[id^='nomination-']").filter(has_text="张三")
    assert card.count() == 1
    with page.expect_navigation():
        card.locator("form[action$='/approve/'] button").click()
    link = page.locator("#invitation-url").input_value()
    assert re.fullmatch(re.escape(live_server.url) + r"/invite/[\w-]{20,}/", link), link

    # 4. 张三 opens the link (anonymous), creates the account and joins; then fills the card.
    invitee = Person(new_page, base)
    invitee.goto(link)
    page = invitee.page
    page.fill("#id_display_name", "张三")
    page.fill("#id_username", "zhangsan")
    page.fill("#id_email", "zhangsan@example.com")
    page.fill("#id_password1", "qingshan-animation-2024")
    page.fill("#id_password2", "qingshan-animation-2024")
    invitee.submit(f"form[action$='{link.split(base, 1)[-1]}']")
    assert page.url.endswith("/c/xinwenyu/me/card/"), page.url
    assert page.locator("#id_company").input_value() == "青山动画"  # the nominator's draft
    page.fill("#id_title", "发行总监")
    page.fill("#id_offers", "动画电影和剧集的发行、海外版权")
    page.fill("#id_needs", "短视频宣发团队")
    page.fill("#id_wechat", "zhangsan_anim")
    invitee.submit("form[method=post]")
    newcomer = Membership.objects.get(circle=circle, user__username="zhangsan")
    assert newcomer.sponsor_id == alice.pk
    assert newcomer.card.title == "发行总监"

    # 5. Among the people 张三 may know is the organizer (the sponsor's tie): "I know them" …
    invitee.goto("/c/xinwenyu/ties/")
    page = invitee.page
    suggestion = page.locator("#suggestions .card").filter(
        has=page.locator(f"input[name=member_id][value='{origin.pk}']")
    )
    assert suggestion.count() == 1
    suggestion.locator("button[type=submit]").click()  # HTMX swaps the form for the answer
    page.locator("#suggestions [role=status]").wait_for()

    # … and the organizer confirms it.
    organizer.goto("/c/xinwenyu/ties/")
    page = organizer.page
    incoming = page.locator("#incoming .card").filter(has_text="张三")
    assert incoming.count() == 1
    incoming.locator("form[action$='/confirm/'] button").click()
    page.locator("#incoming [role=status]").wait_for()
    organizer.goto("/c/xinwenyu/ties/")
    assert page.locator("#mine .card").filter(has_text="张三").count() == 1

    # 6. The directory shows 张三 to the organizer: a direct tie, and 王爱丽 as the tie they share.
    organizer.goto("/c/xinwenyu/members/")
    page = organizer.page
    entry = page.locator(f"#member-{newcomer.pk}")
    assert entry.count() == 1
    mutual = entry.locator(".mutual")
    assert mutual.filter(has=page.locator(f"a[href$='/members/{alice.pk}/']")).count() == 1
    assert entry.locator(".path").inner_text().count("→") == 2  # 老周 → 王爱丽 → 张三
    shoot(page, "journey-directory-desktop")

    # And 王爱丽 sees the same newcomer with 老周 as the tie they share (the tie confirmed in step 5).
    member.goto("/c/xinwenyu/members/")
    page = member.page
    shared = page.locator(f"#member-{newcomer.pk} .mutual a[href$='/members/{origin.pk}/']")
    assert shared.count() == 1

    for person in (organizer, member, invitee):
        person.close()


def test_screenshots_of_the_demo_circle(new_page: Any, live_server: Any) -> None:
    """With KINDRED_SCREENSHOTS=1: the README's pictures of the demo circle, at phone and desktop width."""
    if not SCREENSHOTS:
        pytest.skip("set KINDRED_SCREENSHOTS=1 to write docs/screenshots/")
    from kindred.demo.loader import DEMO_PASSWORD, DEMO_SLUG, demo_load

    demo_load()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    viewer = "wangxiong"
    assert User.objects.filter(username=viewer).exists()
    pages = {
        "directory": f"/c/{DEMO_SLUG}/members/",
        "search": f"/c/{DEMO_SLUG}/members/?q=短视频",
        "circle": f"/c/{DEMO_SLUG}/",
        "tree": f"/c/{DEMO_SLUG}/tree/",
        "ties": f"/c/{DEMO_SLUG}/ties/",
    }
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        person = Person(new_page, live_server.url, viewport=viewport)
        person.sign_in(viewer, DEMO_PASSWORD)
        for name, path in pages.items():
            person.goto(path)
            person.page.screenshot(path=str(SCREENSHOT_DIR / f"{name}-{label}.png"))
        person.close()
    reviewer = Person(new_page, live_server.url)
    reviewer.sign_in("laozhou", DEMO_PASSWORD)
    reviewer.goto(f"/c/{DEMO_SLUG}/review/")
    reviewer.page.screenshot(path=str(SCREENSHOT_DIR / "review-desktop.png"))
    reviewer.close()
    assert (SCREENSHOT_DIR / "directory-phone.png").stat().st_size > 0


def test_card_saved_unchanged_invitation_choice_and_removal_confirmation(
    new_page: Any, live_server: Any, make_user: Any, settings: Any
) -> None:
    """In Chromium: the card form saved unchanged keeps the industries; a signed-in member who opens someone
    else's invitation link chooses before anything is used; removing a member asks for confirmation."""
    from kindred.circles.services import card_update, circle_create
    from kindred.invitations.models import Invitation, Nomination
    from kindred.invitations.services import nomination_approve, nomination_create

    settings.SITE_URL = live_server.url
    organizer_user = make_user("laozhou", first_name="老周")
    circle = circle_create(creator=organizer_user, name="新文娱产业群", slug="xinwenyu", display_name="老周")
    origin = Membership.objects.get(circle=circle, sponsor__isnull=True)
    with transaction.atomic():
        alice = membership_create(
            circle=circle, user=make_user("alice"), sponsor=origin, card_fields={"display_name": "王爱丽"}
        )
        bob = membership_create(
            circle=circle, user=make_user("bob"), sponsor=origin, card_fields={"display_name": "陈波"}
        )
    card_update(
        membership=alice, fields={"offers": "发行\n版权"}, industry_codes=["music"], offer_tags=["发行"]
    )

    # The card form shows the industries ticked; saved unchanged, the card keeps them.
    member = Person(new_page, live_server.url)
    member.sign_in("alice")
    member.goto("/c/xinwenyu/me/card/")
    page = member.page
    music = alice.card.industries.get().pk
    assert page.locator(f"input[name=industries][value='{music}']").is_checked()
    member.submit("#card-form")
    alice.card.refresh_from_db()
    assert list(alice.card.industries.values_list("code", flat=True)) == ["music"]
    assert alice.card.offers == "发行\n版权"

    # Signed in as 王爱丽, she opens the link meant for 张三: she is told, and nothing is used until she chooses.
    nomination = nomination_create(
        circle=circle,
        nominator=origin,
        name="张三",
        email="zhangsan@example.com",
        relationship=Nomination.Relationship.COLLEAGUE,
        years_known=3,
        closeness=3,
        reason="动画发行",
    )
    admin = membership_create(circle=circle, user=make_user("lin"), sponsor=origin, role="admin")
    _, code = nomination_approve(nomination=nomination, reviewer=admin)
    member.goto(f"/invite/{code}/")
    assert "张三" in page.locator("main").inner_text()
    assert page.locator("#accept-join").count() == 1 and page.locator("#accept-signout").count() == 1
    assert not Invitation.objects.filter(accepted_at__isnull=False).exists()
    member.submit("#accept-signout")
    assert page.url.endswith(f"/invite/{code}/") and page.locator("#accept-signup").count() == 1
    assert page.locator("#id_display_name").input_value() == "张三"
    assert not Invitation.objects.filter(accepted_at__isnull=False).exists()

    # The organizer removes 陈波: a confirmation first, then the removal.
    organizer = Person(new_page, live_server.url)
    organizer.sign_in("laozhou")
    organizer.goto(f"/c/xinwenyu/members/{bob.pk}/")
    page = organizer.page
    page.fill(f"form[action$='/members/{bob.pk}/remove/'] textarea[name=reason]", "长期不活跃")
    organizer.submit(f"form[action$='/members/{bob.pk}/remove/']")
    bob.refresh_from_db()
    assert bob.is_active and page.locator("#remove-confirm").count() == 1
    organizer.submit("#remove-confirm")
    bob.refresh_from_db()
    assert not bob.is_active and bob.removed_reason == "长期不活跃"
    for person in (member, organizer):
        person.close()
