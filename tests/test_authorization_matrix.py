"""Authorization matrix: every circle-scoped page and API operation × every kind of visitor.

Roles: anonymous, outsider (signed in, member of another circle), nominee (has an account and a pending
nomination in the circle), removed (a removed member), member, admin, organizer.

For each (route, role) the test makes one request and asserts
- the status: visitors who are not active members get 404 (the API answers 401 to anonymous callers),
  members get what their role allows; refusals change nothing (no audit row is written);
- that no private string appears in the body unless the role may see it: the organizer's note, contact
  fields visible to nobody or to ties only (nobody here is a tie of the card's owner), a nominee's contact
  and the reason given for them, a removal reason, raw invitation codes, anyone's raw API token, any stored hash.

Routes are discovered from the URL resolver and from the OpenAPI document: a circle-scoped route that is not
in the matrix below fails `test_every_circle_scoped_route_is_in_the_matrix`, so new routes get covered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kindred.accounts.models import ApiToken
from kindred.accounts.services import token_create
from kindred.circles.models import Circle, Membership, Visibility
from kindred.circles.services import card_update, circle_create, membership_note_set, membership_remove
from kindred.core.models import AuditEvent
from kindred.invitations.models import Invitation, Nomination
from kindred.invitations.services import nomination_approve, nomination_create
from kindred.ties.models import Tie
from kindred.ties.selectors import tie_neighbors
from kindred.ties.services import tie_declare
from tests.authz import (
    MEMBERS,
    NOBODY,
    NON_MEMBERS,
    ORGANIZER,
    PARTY,
    REVIEWERS,
    ROLES,
    app_modules,
)

API_PREFIX = "/api/v1"

# Pages, by URL name: (method, who may use it, form data). POSTs carry valid data, so a refusal is about
# who asks, not about what they sent.
PAGES: dict[str, tuple[str, frozenset[str], Callable[[World], dict[str, Any]] | None]] = {
    "circles:about": ("GET", MEMBERS, None),
    "circles:settings": ("GET", ORGANIZER, None),
    "circles:directory": ("GET", MEMBERS, None),
    "circles:member": ("GET", MEMBERS, None),
    "circles:member_note": ("POST", REVIEWERS, lambda w: {"note": "新的备注"}),
    "circles:member_role": ("POST", ORGANIZER, lambda w: {"role": "admin"}),
    "circles:member_remove": ("POST", ORGANIZER, lambda w: {"reason": "测试移除", "confirm": "1"}),
    "circles:card_edit": ("GET", MEMBERS, None),
    "ties:list": ("GET", MEMBERS, None),
    "ties:declare": ("POST", MEMBERS, lambda w: {"member_id": w.target.pk, "kind": "friend"}),
    "ties:confirm": ("POST", PARTY, None),
    "ties:ignore": ("POST", PARTY, None),
    "invitations:nominate": ("GET", MEMBERS, None),
    "invitations:withdraw": ("POST", NOBODY, None),
    "invitations:review": ("GET", REVIEWERS, None),
    "invitations:approve": ("POST", REVIEWERS, None),
    "invitations:reject": ("POST", REVIEWERS, lambda w: {"reason": "暂不合适"}),
    "invitations:direct": (  # a self-nomination approved at once: the reviewers' right (as in the service)
        "POST",
        REVIEWERS,
        lambda w: {"name": "王五", "email": "wangwu@example.com", "reason": "老朋友"},
    ),
    "invitations:reissue": ("POST", REVIEWERS, None),
    "invitations:revoke": ("POST", REVIEWERS, None),
    "invitations:tree": ("GET", MEMBERS, None),
    "invitations:remove": ("POST", ORGANIZER, lambda w: {"reason": "测试移除", "confirm": "1"}),
}

# API operations, by "METHOD /path" as in the OpenAPI document: who may use it, and a valid JSON body
# (valid, so a refusal is about who asks, not about what they sent).
API: dict[str, tuple[frozenset[str], Callable[[World], dict[str, Any]] | None]] = {
    "GET /circles/{slug}": (MEMBERS, None),
    "GET /circles/{slug}/members": (MEMBERS, None),
    "GET /circles/{slug}/members/{member_id}": (MEMBERS, None),
    "PUT /circles/{slug}/me/card": (MEMBERS, lambda w: {"display_name": "新名字"}),
    "POST /circles/{slug}/ties": (MEMBERS, lambda w: {"member_id": w.target.pk, "kind": "friend"}),
    "GET /circles/{slug}/ties": (MEMBERS, None),
    "POST /circles/{slug}/ties/{tie_id}/confirm": (PARTY, None),
    "POST /circles/{slug}/ties/{tie_id}/ignore": (PARTY, None),
    "GET /circles/{slug}/ties/suggestions": (MEMBERS, None),
    "POST /circles/{slug}/nominations": (
        MEMBERS,
        lambda w: {
            "name": "李四",
            "email": "lisi@example.com",
            "relationship": "friend",
            "years_known": 3,
            "closeness": 3,
            "reason": "做音乐版权的老朋友",
        },
    ),
    "GET /circles/{slug}/nominations": (MEMBERS, None),
    "POST /circles/{slug}/nominations/{nomination_id}/approve": (REVIEWERS, None),
    "POST /circles/{slug}/nominations/{nomination_id}/reject": (REVIEWERS, lambda w: {"reason": "暂不合适"}),
    "POST /circles/{slug}/nominations/{nomination_id}/withdraw": (NOBODY, None),
    "POST /circles/{slug}/invitations": (
        REVIEWERS,
        lambda w: {"name": "王五", "email": "wangwu@example.com", "reason": "老朋友"},
    ),
    "POST /circles/{slug}/invitations/{invitation_id}/revoke": (REVIEWERS, None),
    "POST /circles/{slug}/invitations/{invitation_id}/reissue": (REVIEWERS, None),
    "GET /circles/{slug}/tree": (MEMBERS, None),
}

# The routes of the later domains (wallet, matching, meetups, deals, ...) come from their tests/authz.py.
APP_MODULES = app_modules()
for _module in APP_MODULES:
    PAGES.update(_module.PAGES)
    API.update(_module.API)

# Routes that take a parameter but are scoped to the signed-in user or to a secret, not to a circle.
NOT_CIRCLE_SCOPED_PAGES = frozenset(
    {"accounts:password_reset_confirm", "accounts:token_revoke", "invitations:accept", "meetups:feed"}
)
NOT_CIRCLE_SCOPED_OPERATIONS = frozenset({"DELETE /me/tokens/{token_id}", "POST /invitations/{code}/accept"})

# Private strings planted in the circle, and the roles that may see each one.
NOTE = "群主私人备注-N7F3A"
WECHAT_NOBODY = "wx_nobody_n7f3a"
PHONE_TIES = "13900007733"
NOMINEE_EMAIL = "nominee.n7f3a@example.com"
NOMINATION_REASON = "推荐理由-R7F3A"
INVITEE_EMAIL = "invitee.n7f3a@example.com"
REMOVAL_REASON = "移除原因-X7F3A"


@dataclass
class World:
    circle: Circle
    members: dict[str, Membership]
    users: dict[str, User]
    tokens: dict[str, str]
    target: Membership  # the card with private contact fields and the organizer's note
    sponsor: Membership  # nominated the pending nominee; the only tie of `target`
    nomination: Nomination
    invitation: Invitation
    tie: Tie  # pending, declared by the sponsor to the member
    secrets: dict[str, frozenset[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # URL kwargs of the apps' own objects

    def kwargs(self) -> dict[str, Any]:
        return {
            "slug": self.circle.slug,
            "member_id": self.target.pk,
            "tie_id": self.tie.pk,
            "nomination_id": self.nomination.pk,
            "invitation_id": self.invitation.pk,
            **self.extra,
        }


@pytest.fixture
def world(
    make_user: Callable[..., User], make_member: Callable[..., Membership], origin: Membership
) -> World:
    circle = origin.circle
    organizer = origin
    admin = make_member("m_admin", role=Membership.Role.ADMIN, display_name="管理员")
    member = make_member("m_member", display_name="普通成员")
    sponsor = make_member("m_sponsor", display_name="推荐人")
    target = make_member("m_target", sponsor=sponsor, display_name="名片主人")
    card_update(
        membership=target,
        fields={
            "wechat": WECHAT_NOBODY,
            "wechat_visibility": Visibility.NOBODY,
            "phone": PHONE_TIES,
            "phone_visibility": Visibility.TIES,
        },
    )
    membership_note_set(membership=target, actor=organizer, note=NOTE)
    removed = make_member("m_removed", display_name="已移除")
    membership_remove(membership=removed, actor=organizer, reason=REMOVAL_REASON)

    nominee_user = make_user("m_nominee", email=NOMINEE_EMAIL)
    nomination = nomination_create(
        circle=circle,
        nominator=sponsor,
        name="被提名人",
        email=NOMINEE_EMAIL,
        relationship=Nomination.Relationship.COLLEAGUE,
        years_known=4,
        closeness=4,
        reason=NOMINATION_REASON,
    )
    approved = nomination_create(
        circle=circle,
        nominator=sponsor,
        name="受邀人",
        email=INVITEE_EMAIL,
        relationship=Nomination.Relationship.FRIEND,
        years_known=2,
        closeness=3,
        reason="有链接未使用",
    )
    invitation, code = nomination_approve(nomination=approved, reviewer=organizer)
    tie = tie_declare(declarer=sponsor, other=member, kind="colleague")

    outsider_user = make_user("m_outsider")
    circle_create(creator=outsider_user, name="别的圈子", slug="other-circle", display_name="外人")

    users = {
        "outsider": outsider_user,
        "nominee": nominee_user,
        "removed": removed.user,
        "member": member.user,
        "admin": admin.user,
        "organizer": organizer.user,
    }
    tokens = {role: token_create(user=u, name="matrix")[1] for role, u in users.items()}
    target_token = token_create(user=target.user, name="target's")[1]
    secrets: dict[str, frozenset[str]] = {
        NOTE: REVIEWERS,
        WECHAT_NOBODY: frozenset(),
        PHONE_TIES: frozenset(),
        NOMINEE_EMAIL: REVIEWERS,
        NOMINATION_REASON: REVIEWERS,
        INVITEE_EMAIL: REVIEWERS,
        REMOVAL_REASON: REVIEWERS,
        code: frozenset(),
        invitation.code_hash: frozenset(),
        target_token: frozenset(),
        **{raw: frozenset() for raw in tokens.values()},
        **{h: frozenset() for h in ApiToken.objects.values_list("token_hash", flat=True)},
    }
    world = World(
        circle=circle,
        members={"member": member, "admin": admin, "organizer": organizer, "removed": removed},
        users=users,
        tokens=tokens,
        target=target,
        sponsor=sponsor,
        nomination=nomination,
        invitation=invitation,
        tie=tie,
        secrets=secrets,
    )
    for module in APP_MODULES:
        world.extra.update(module.setup(world))
    # The apps' objects must not make the plain member a tie of the card's owner (ties see more of a card).
    neighbors = tie_neighbors(circle_id=circle.pk, member_ids=[member.pk])
    assert target.pk not in neighbors.get(member.pk, set()), (
        "an app's setup tied the member to the card owner"
    )
    return world


# --- discovery ---------------------------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{namespace}{p.name or ''}"


def circle_scoped_pages() -> dict[str, str]:
    """{url name: route} of every page whose route takes a parameter (a circle's slug, an object's id),
    the API and the user- or secret-scoped pages aside."""
    return {
        name: route
        for route, name in _walk(get_resolver().url_patterns)
        if "<" in route and not route.startswith("api/") and name not in NOT_CIRCLE_SCOPED_PAGES
    }


def circle_scoped_operations(client: Client) -> set[str]:
    doc = client.get(f"{API_PREFIX}/openapi.json").json()
    return {
        f"{method.upper()} {path.removeprefix(API_PREFIX)}"
        for path, ops in doc["paths"].items()
        for method in ops
        if "{" in path
    } - NOT_CIRCLE_SCOPED_OPERATIONS


@pytest.mark.django_db
def test_every_circle_scoped_route_is_in_the_matrix(client: Client) -> None:
    pages = circle_scoped_pages()
    assert pages, "no circle-scoped page found: the discovery is broken"
    assert sorted(set(pages) - set(PAGES)) == [], "circle-scoped pages missing from the matrix"
    assert sorted(set(PAGES) - set(pages)) == [], "matrix pages that no longer exist"
    operations = circle_scoped_operations(client)
    assert sorted(operations - set(API)) == [], "circle-scoped API operations missing from the matrix"
    assert sorted(set(API) - operations) == [], "matrix API operations that no longer exist"


# --- the matrix --------------------------------------------------------------------------------------


def _client_for(world: World, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    raw = response.content.decode(errors="replace")
    if response.get("Content-Type", "").startswith("application/json") and raw:
        # Compare on decoded text too: JSON escapes non-ASCII characters.
        return raw + "\n" + json.dumps(json.loads(raw), ensure_ascii=False)
    return raw


def _assert_no_leak(world: World, role: str, label: str, body: str) -> None:
    leaked = [s for s, allowed in world.secrets.items() if role not in allowed and s and s in body]
    assert not leaked, f"{label} as {role}: private values in the body: {leaked}"


def _check(
    world: World,
    role: str,
    allowed: frozenset[str],
    method: str,
    label: str,
    response: Any,
    audit_before: int,
) -> None:
    """The status for this role, no private value in the body, and no change when refused."""
    status = response.status_code
    changed = AuditEvent.objects.count() != audit_before
    if role in NON_MEMBERS:
        assert status == 404, f"{label} as {role}: {status}, expected 404"
    elif role not in allowed:
        # Refused: 403/404, or a page that redirects back with a message. Either way nothing changed.
        assert status in (302, 403, 404), f"{label} as {role} (not allowed): {status}, expected a refusal"
    elif method == "GET":
        assert status == 200, f"{label} as {role}: {status}, expected 200"
    else:
        assert status in (200, 201, 204, 302), f"{label} as {role}: {status}, expected it done"
        assert changed, f"{label} as {role}: answered {status} but recorded no change"
    if role not in allowed or role in NON_MEMBERS:
        assert not changed, f"{label} as {role}: refused, yet a change was audited"
    _assert_no_leak(world, role, label, _body(response))


PAGE_CASES = [(name, role) for name in sorted(PAGES) for role in ROLES]
API_CASES = [(op, role) for op in sorted(API) for role in ROLES]


def _fill(template: str, args: dict[str, Any], pattern: str) -> str:
    return re.sub(pattern, lambda m: str(args[m.group(1)]), template)


@pytest.mark.parametrize(("name", "role"), PAGE_CASES, ids=[f"{n}-{r}" for n, r in PAGE_CASES])
def test_page(world: World, name: str, role: str) -> None:
    method, allowed, data = PAGES[name]
    route = circle_scoped_pages()[name]
    args = world.kwargs()
    path = "/" + _fill(route, args, r"<(?:\w+:)?(\w+)>")
    client = _client_for(world, role)
    audit_before = AuditEvent.objects.count()
    response = client.get(path) if method == "GET" else client.post(path, data(world) if data else {})
    label = f"{method} {path}"
    if role == "anonymous" and response.status_code == 302:
        # Pages send anonymous visitors to sign in, for any slug alike (so nothing leaks).
        login = response["Location"].split("?")[0]
        assert login == reverse("accounts:login"), f"{label} as anonymous redirects to {login}"
        missing = "/" + _fill(route, {**args, "slug": "no-such-circle"}, r"<(?:\w+:)?(\w+)>")
        other = client.get(missing) if method == "GET" else client.post(missing, {})
        assert other.status_code == 302 and other["Location"].split("?")[0] == login
        assert AuditEvent.objects.count() == audit_before
        return
    _check(world, role, allowed, method, label, response, audit_before)


@pytest.mark.parametrize(("operation", "role"), API_CASES, ids=[f"{o}-{r}" for o, r in API_CASES])
def test_api(world: World, operation: str, role: str) -> None:
    allowed, body = API[operation]
    method, template = operation.split(" ", 1)
    path = API_PREFIX + _fill(template, world.kwargs(), r"\{(\w+)\}")
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world.tokens[role]}"}
    audit_before = AuditEvent.objects.count()
    payload = json.dumps(body(world)) if body else ""
    response = Client().generic(method, path, data=payload, content_type="application/json", headers=headers)
    label = f"{method} {path}"
    if role == "anonymous":
        assert response.status_code == 401, f"{label} as anonymous: {response.status_code}, expected 401"
        assert AuditEvent.objects.count() == audit_before
        return
    _check(world, role, allowed, method, label, response, audit_before)
