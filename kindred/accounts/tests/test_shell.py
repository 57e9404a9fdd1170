"""The page shell every page shares (base.html): its navigation and the session it reads.

The navigation's link tables are kept per language, circle and role in the process; what a page has of its own is
joined in on every page, so a renamed circle, a new role and a language switch show at once. Sessions are read
through the cache: signing out and deactivating an account still end them at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from kindred.accounts.services import account_anonymize
from kindred.circles.models import Circle, Membership
from kindred.circles.services import circle_update, membership_role_set

pytestmark = pytest.mark.django_db

CIRCLE_NAV = re.compile(r'<nav class="circlenav wide" aria-label="[^"]+">(.*?)</nav>', re.S)
ACCOUNT_NAV = re.compile(r'<nav class="account wide" aria-label="[^"]+">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]*)</a>')
CURRENT = re.compile(r'<a href="([^"]+)"[^>]*aria-current="page"')


def nav(page: str, which: re.Pattern[str] = CIRCLE_NAV) -> str:
    found = which.search(page)
    assert found, page[:2000]
    return found.group(1)


def labels(page: str, which: re.Pattern[str] = CIRCLE_NAV) -> list[str]:
    return [label for _href, label in LINK.findall(nav(page, which))]


@pytest.fixture
def member_client(make_member: Callable[..., Membership]) -> tuple[Client, Membership]:
    member = make_member("lihua")
    client = Client()
    client.force_login(member.user)
    return client, member


def test_a_renamed_circle_shows_its_new_name_at_once(
    circle: Circle, organizer: User, member_client: tuple[Client, Membership]
) -> None:
    client, _member = member_client
    directory = reverse("circles:directory", args=[circle.slug])
    assert labels(client.get(directory).content.decode())[0] == "新文娱产业群"
    circle_update(circle=circle, actor=organizer, name="新文娱 <产业> 群")
    page = client.get(directory).content.decode()
    assert labels(page)[0] == "新文娱 &lt;产业&gt; 群"


def test_reviewer_links_follow_the_role_at_once(
    circle: Circle, origin: Membership, member_client: tuple[Client, Membership]
) -> None:
    client, member = member_client
    directory = reverse("circles:directory", args=[circle.slug])
    review = reverse("invitations:review", args=[circle.slug])
    hrefs = [href for href, _label in LINK.findall(nav(client.get(directory).content.decode()))]
    assert review not in hrefs
    membership_role_set(membership=member, actor=origin, role=Membership.Role.ADMIN)
    hrefs = [href for href, _label in LINK.findall(nav(client.get(directory).content.decode()))]
    assert review in hrefs
    membership_role_set(membership=member, actor=origin, role=Membership.Role.MEMBER)
    hrefs = [href for href, _label in LINK.findall(nav(client.get(directory).content.decode()))]
    assert review not in hrefs


def test_the_nav_follows_the_language_and_marks_the_page(
    circle: Circle, member_client: tuple[Client, Membership]
) -> None:
    client, _member = member_client
    directory = reverse("circles:directory", args=[circle.slug])
    page = client.get(directory).content.decode()
    assert "成员名录" in labels(page) and "我的圈子" in labels(page, ACCOUNT_NAV)
    assert CURRENT.findall(nav(page)) == [directory]
    client.post(reverse("set_language"), {"language": "en", "next": directory})
    page = client.get(directory).content.decode()
    assert "Directory" in labels(page) and "My circles" in labels(page, ACCOUNT_NAV)
    assert "成员名录" not in page
    home = reverse("conversation:home", args=[circle.slug])
    assert CURRENT.findall(nav(client.get(home).content.decode())) == [home]  # exact: not on every page


def test_the_sign_out_form_carries_the_pages_csrf_token(
    circle: Circle, member_client: tuple[Client, Membership]
) -> None:
    client, _member = member_client
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = client.cookies
    page = browser.get(reverse("circles:directory", args=[circle.slug])).content.decode()
    account = nav(page, ACCOUNT_NAV)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', account)
    assert token
    response = browser.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    assert "_auth_user_id" not in browser.session


def sent_to_sign_in(client: Client, circle: Circle) -> bool:
    response = client.get(reverse("circles:directory", args=[circle.slug]))
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_signing_out_ends_the_cached_session(
    circle: Circle, member_client: tuple[Client, Membership]
) -> None:
    client, _member = member_client
    assert not sent_to_sign_in(client, circle)  # the session is read, and kept in the cache
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert not sent_to_sign_in(replay, circle)
    client.post(reverse("accounts:logout"))
    assert sent_to_sign_in(replay, circle)


def test_a_deactivated_account_is_signed_out_at_the_next_request(
    circle: Circle, member_client: tuple[Client, Membership]
) -> None:
    client, member = member_client
    assert not sent_to_sign_in(client, circle)
    account_anonymize(user=member.user)
    assert sent_to_sign_in(client, circle)
