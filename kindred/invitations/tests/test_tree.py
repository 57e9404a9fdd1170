"""The invite tree: shape, subtree counts, and one query however large the circle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from kindred.circles.models import Circle, Membership
from kindred.circles.services import membership_remove
from kindred.invitations.selectors import circle_tree
from kindred.invitations.tree import TreeNode, build_tree, walk

MakeMember = Callable[..., Membership]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def node(pk: int, sponsor: int | None, depth: int, status: str = "active") -> TreeNode:
    return TreeNode(
        id=pk, sponsor_id=sponsor, display_name=f"m{pk}", joined_at=T0, status=status, depth=depth
    )


def test_build_tree_counts_every_subtree() -> None:
    #        1
    #      /   \
    #     2     3(removed)
    #    / \     \
    #   4   5(r)  6
    root = build_tree(
        [
            node(1, None, 0),
            node(2, 1, 1),
            node(3, 1, 1, "removed"),
            node(4, 2, 2),
            node(5, 2, 2, "removed"),
            node(6, 3, 2),
        ]
    )
    assert root is not None
    assert (root.size, root.active, root.removed) == (6, 4, 2)
    by_id = {n.id: n for n in walk(root)}
    assert [n.id for n in walk(root)] == [1, 2, 4, 5, 3, 6]
    assert (by_id[2].size, by_id[2].active, by_id[2].removed) == (3, 2, 1)
    assert (by_id[3].size, by_id[3].active, by_id[3].removed) == (2, 1, 1)
    assert (by_id[6].size, by_id[6].children) == (1, [])


def test_empty_tree() -> None:
    assert build_tree([]) is None


@pytest.mark.django_db
def test_circle_tree_from_memberships(circle: Circle, origin: Membership, make_member: MakeMember) -> None:
    alice = make_member("alice", display_name="王爱丽")
    bob = make_member("bob", sponsor=alice)
    make_member("carol", sponsor=bob)
    make_member("dave")
    membership_remove(membership=bob, actor=origin, reason="违规")
    root = circle_tree(circle=circle)
    assert root is not None and root.id == origin.pk
    assert (root.size, root.active, root.removed) == (5, 4, 1)
    first = root.children[0]
    assert (first.display_name, first.size, first.active, first.removed) == ("王爱丽", 3, 2, 1)


def _grow(make_member: MakeMember, origin: Membership, n: int) -> None:
    sponsors = [origin]
    for i in range(n):
        m = make_member(f"u{i}", sponsor=sponsors[i // 3])
        sponsors.append(m)


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 200])
def test_tree_is_one_query(
    circle: Circle, origin: Membership, make_member: MakeMember, size: int, django_assert_num_queries
) -> None:
    _grow(make_member, origin, size)
    with django_assert_num_queries(1):
        root = circle_tree(circle=circle)
    assert root is not None and root.size == size + 1


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 200])
def test_tree_page_and_api_keep_constant_queries(
    circle: Circle, origin: Membership, make_member: MakeMember, size: int, django_assert_max_num_queries
) -> None:
    _grow(make_member, origin, size)
    client = Client()
    client.force_login(origin.user, backend="kindred.accounts.backends.ModelBackend")
    # session, user, membership, tree: the same at 10 and at 200 members; once kept, no tree query.
    with django_assert_max_num_queries(4):
        page = client.get(reverse("invitations:tree", args=[circle.slug]))
    assert page.status_code == 200 and page.content.decode().count('<li id="member-') == size + 1
    with django_assert_max_num_queries(3):
        again = client.get(reverse("invitations:tree", args=[circle.slug])).content.decode()
    assert again.count('<li id="member-') == size + 1
    with django_assert_max_num_queries(5):
        response = client.get(f"/api/v1/circles/{circle.slug}/tree")
    assert response.status_code == 200 and response.json()["size"] == size + 1
