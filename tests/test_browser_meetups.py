"""Meetups in Debian's Chromium (Playwright), against the live server.

The organizer says he will be in 上海 → the trip lists the members there → one step invites them to a dinner
that starts within the hour → 王爱丽 answers yes → she downloads the .ics → she checks in, the host checks
himself in → the met-offline tie shows on both members' cards.

Uses the browser harness of test_browser_journey (Debian's /usr/bin/chromium; skipped without it).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from kindred.circles.models import Circle, Membership
from kindred.ties.models import Tie

from .conftest import CHROMIUM
from .test_browser_journey import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
if not CHROMIUM.exists():
    pytestmark.append(pytest.mark.skip(reason="no /usr/bin/chromium: `apt-get install chromium`"))

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_trip_to_dinner_to_met_offline_tie(
    new_page: Any,
    live_server: Any,
    circle: Circle,
    origin: Membership,
    make_member: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.SITE_URL = live_server.url
    bob = make_member("bob", display_name="李博", city="北京")
    alice = make_member(
        "alice", sponsor=bob, display_name="王爱丽", company="星河影业", city="上海", offers="短剧发行"
    )
    assert not Tie.objects.filter(
        member_low_id=min(origin.pk, alice.pk), member_high_id=max(origin.pk, alice.pk)
    ).exists()
    base = live_server.url

    # 1. The organizer announces the trip and gets the list of members in 上海.
    host = Person(new_page, base)
    host.sign_in("organizer")
    host.goto("/c/xinwenyu/meetups/")
    page = host.page
    today = timezone.localdate()
    page.fill("#id_city", "上海")
    page.fill("#id_starts_on", today.isoformat())
    page.fill("#id_ends_on", (today + timedelta(days=2)).isoformat())
    host.submit("#trip-form")
    assert "/c/xinwenyu/trips/" in page.url, page.url
    suggestion = page.locator("#suggestions .trip-suggestion").filter(
        has=page.locator(f"input[value='{alice.pk}']")
    )
    assert suggestion.count() == 1
    assert suggestion.locator(".never-met").count() == 1
    # Nobody is invited until the traveller picks: no box is ticked at first.
    assert page.locator("#suggestions input[type=checkbox]:checked").count() == 0
    suggestion.locator("input[type=checkbox]").check()

    # 2. One step: a dinner starting within the hour, by invitation.
    start = (timezone.now() + timedelta(minutes=50)).astimezone(SHANGHAI).replace(second=0, microsecond=0)
    page.fill("#id_title", "上海饭局, 今晚")
    page.fill("#id_venue", "外滩, 三楼")
    page.fill("#id_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_ends_at", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    host.submit("#trip-invite")
    assert "/c/xinwenyu/meetups/" in page.url, page.url
    meetup_path = page.url.split(base, 1)[-1]

    # 3. 王爱丽 sees the invitation among her news, answers yes and downloads the .ics.
    guest = Person(new_page, base)
    guest.sign_in("alice")
    guest.goto("/c/xinwenyu/meetups/")
    gpage = guest.page
    assert gpage.locator("#notices").count() == 1
    with gpage.expect_navigation():
        gpage.locator("#upcoming .meetup-card a").first.click()
    assert gpage.url.endswith(meetup_path)
    guest.submit("form.rsvp-yes")
    assert gpage.locator("#my-status").count() == 1
    assert gpage.locator(f"#going-{alice.pk}").count() == 1
    with gpage.expect_download() as got:
        gpage.locator("#ics-link").click()
    target = tmp_path / "meetup.ics"
    got.value.save_as(target)
    (event,) = Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert str(event["summary"]) == "上海饭局, 今晚"
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert event.decoded("dtstart") == start

    # 4. At the table: she checks in, the host checks himself in.
    guest.submit("form.checkin-self")
    assert gpage.locator(f"#going-{alice.pk} .checked-in").count() == 1
    host.goto(meetup_path)
    host.submit(f"#going-{origin.pk} form.checkin-member")
    assert page.locator(f"#going-{origin.pk} .checked-in").count() == 1

    # 5. The met-offline tie shows on both cards.
    host.goto(f"/c/xinwenyu/members/{alice.pk}/")
    assert page.locator(".tie-box .tie-met").count() == 1
    guest.goto(f"/c/xinwenyu/members/{origin.pk}/")
    assert gpage.locator(".tie-box .tie-met").count() == 1
    tie = Tie.objects.get(member_low_id=min(origin.pk, alice.pk), member_high_id=max(origin.pk, alice.pk))
    assert tie.met_offline_at is not None and tie.status == Tie.Status.CONFIRMED
    host.close()
    guest.close()
