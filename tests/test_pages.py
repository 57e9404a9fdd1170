"""Every page, as the organizer of a small seeded circle, is well formed for people and assistive tools.

The pages are the GET pages of the authorization matrix (every app's circle pages, its world's objects)
that the organizer may open, and the signed-in user's own pages. Each page has exactly one <h1>; every
visible form control has a label (<label for>, a wrapping <label>, aria-label or aria-labelledby); the
navigation marks the link of the page shown, or of its section, with aria-current="page", and no other.
Parsed with the standard library's html.parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from tests import test_authorization_matrix as matrix
from tests.test_authorization_matrix import PAGES, World, _fill, circle_scoped_pages

# The matrix's seeded circle (every app adds its objects to it), as the fixture `world`.
world = matrix.world

# Form controls a person does not fill in: they need no label.
UNLABELLED_TYPES = {"hidden", "submit", "button", "image", "reset"}
CONTROLS = {"input", "select", "textarea"}
CIRCLE_PAGES = sorted(
    name for name, (method, allowed, _) in PAGES.items() if method == "GET" and "organizer" in allowed
)
OWN_PAGES = ["circles:home", "circles:create", "wallet:home", "accounts:tokens", "accounts:password_change"]


@dataclass
class Control:
    tag: str
    attrs: dict[str, str]
    in_label: bool


@dataclass
class NavLink:
    href: str
    current: str | None


@dataclass
class PageParser(HTMLParser):
    h1: int = 0
    controls: list[Control] = field(default_factory=list)
    label_for: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    nav_links: list[NavLink] = field(default_factory=list)
    _label_depth: int = 0
    _nav_depth: int = 0

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag == "nav":
            self._nav_depth += 1
        elif tag == "a" and self._nav_depth and "href" in a:
            self.nav_links.append(NavLink(a["href"], a.get("aria-current")))
        elif tag in CONTROLS:
            self.controls.append(Control(tag, a, self._label_depth > 0))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)
        elif tag == "nav":
            self._nav_depth = max(0, self._nav_depth - 1)

    def unlabelled(self) -> list[str]:
        missing = []
        for c in self.controls:
            if c.tag == "input" and c.attrs.get("type", "text") in UNLABELLED_TYPES:
                continue
            if "hidden" in c.attrs:
                continue
            labelled = (
                c.in_label
                or c.attrs.get("id", "") in self.label_for
                or c.attrs.get("aria-label", "").strip()
                or c.attrs.get("aria-labelledby", "") in self.ids
            )
            if not labelled:
                missing.append(f"<{c.tag} name={c.attrs.get('name')!r} id={c.attrs.get('id')!r}>")
        return missing


def _is_current(path: str, href: str, home: str) -> bool:
    """The nav's rule: a section link is current on its pages and below; the homes only on themselves."""
    if href in (home, "/"):
        return path == href
    return path.startswith(href)


@dataclass
class Visit:
    path: str
    page: PageParser
    home: str
    html: bool


def _visit(client: Client, path: str, home: str) -> Visit:
    response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    page = PageParser()
    html = response["Content-Type"].startswith("text/html")
    if html:
        page.feed(response.content.decode())
    return Visit(path, page, home, html)


def _problems(visit: Visit) -> list[str]:
    problems: list[str] = []
    page = visit.page
    if not visit.html:
        return problems  # a calendar file, not a page
    if page.h1 != 1:
        problems.append(f"{page.h1} <h1> elements (want exactly one)")
    problems += [f"no label: {c}" for c in page.unlabelled()]
    local = [link for link in page.nav_links if link.href.startswith("/")]
    for link in local:
        want = _is_current(visit.path, link.href, visit.home)
        if want and link.current != "page":
            problems.append(f"nav link {link.href} is the current page but has no aria-current")
        if not want and link.current:
            problems.append(f"nav link {link.href} has aria-current on another page")
    if any(link.href == visit.path for link in local) and not any(link.current for link in local):
        problems.append("the page is in the nav but no link carries aria-current")
    return problems


def _organizer(world: World) -> Client:
    client = Client()
    client.force_login(world.users["organizer"])
    return client


def test_every_page_of_the_circle(world: World) -> None:
    client = _organizer(world)
    routes = circle_scoped_pages()
    args = world.kwargs()
    home = reverse("conversation:home", args=[world.circle.slug])
    report = []
    for name in CIRCLE_PAGES:
        path = "/" + _fill(routes[name], args, r"<(?:\w+:)?(\w+)>")
        visit = _visit(client, path, home)
        report += [f"{name} ({path}): {p}" for p in _problems(visit)]
    assert not report, "\n".join(report)


@pytest.mark.parametrize("name", OWN_PAGES)
def test_the_signed_in_users_own_pages(world: World, name: str) -> None:
    path = reverse(name)
    visit = _visit(_organizer(world), path, reverse("circles:home"))
    assert _problems(visit) == []


def test_the_sign_in_page(client: Client, db: None) -> None:
    path = reverse("accounts:login")
    assert _problems(_visit(client, path, "/")) == []


def test_the_current_nav_link_is_marked(world: World) -> None:
    """A page of the nav marks its link; a page below a section (a member's card) marks the section."""
    client = _organizer(world)
    directory = reverse("circles:directory", args=[world.circle.slug])
    member = reverse("circles:member", args=[world.circle.slug, world.target.pk])
    for path in (directory, member):
        visit = _visit(client, path, reverse("conversation:home", args=[world.circle.slug]))
        marked = {link.href for link in visit.page.nav_links if link.current == "page"}
        assert marked == {directory}, (path, marked)
