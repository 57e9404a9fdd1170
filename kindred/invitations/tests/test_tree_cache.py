"""The invite tree page is rendered once per version of the memberships and kept in the cache: every change
shows at once (a join, a new name, a removal, a rejoin), in the viewer's language, and only the organizer's
tree carries the removal forms, with the viewer's own CSRF token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from kindred.circles.models import Membership
from kindred.circles.services import card_update, membership_leave, membership_remove
from kindred.core.fragments import CSRF_SLOT

pytestmark = pytest.mark.django_db

MakeMember = Callable[..., Membership]


def signed_in(user: User, *, language: str = "zh-hans", enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks, HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user, backend="kindred.accounts.backends.ModelBackend")
    return client


def tree_page(client: Client, member: Membership) -> str:
    response = client.get(reverse("invitations:tree", args=[member.circle.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_every_membership_change_shows_at_once(origin: Membership, make_member: MakeMember) -> None:
    alice = make_member("alice", display_name="王爱丽")
    client = signed_in(alice.user)
    first = tree_page(client, alice)
    tree = first.split('<div class="tree">')[1]
    assert "王爱丽" in tree and tree in tree_page(client, alice)  # the second one from the cache

    bob = make_member("bob", sponsor=alice, display_name="陈波")
    assert f'id="member-{bob.pk}"' in tree_page(client, alice)

    card_update(membership=bob, fields={"display_name": "陈小波"})
    page = tree_page(client, alice)
    assert "陈小波" in page and "陈波<" not in page

    membership_remove(membership=bob, actor=origin, reason="违规")
    page = tree_page(client, alice)
    assert 'class="removed">陈小波' in page

    carol = make_member("carol", sponsor=alice, display_name="陈可")
    assert 'class="active">陈可' in tree_page(client, alice)
    membership_leave(membership=carol)
    assert 'class="active">陈可' not in tree_page(client, alice)


def test_language_switch_shows_at_once(origin: Membership, make_member: MakeMember) -> None:
    alice = make_member("alice")
    make_member("bob", sponsor=alice)
    zh = tree_page(signed_in(alice.user, language="zh-hans"), alice)
    en = tree_page(signed_in(alice.user, language="en"), alice)
    assert "people have joined" in en and "people have joined" not in zh
    assert "in subtree" in en and "in subtree" not in zh


def test_only_the_organizer_gets_the_forms_with_a_working_token(
    origin: Membership, make_member: MakeMember
) -> None:
    alice = make_member("alice")
    bob = make_member("bob", sponsor=alice)
    remove = reverse("invitations:remove", args=[origin.circle.slug, bob.pk])
    assert "/remove/" not in tree_page(signed_in(alice.user), alice)  # cached first, without forms

    client = signed_in(origin.user, enforce_csrf_checks=True)
    tree_page(client, origin)  # the organizer's tree, now cached
    page = tree_page(client, origin)
    assert f'action="{remove}"' in page and CSRF_SLOT not in page
    token = page.split(f'action="{remove}"')[1].split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(remove, {"reason": "违规", "confirm": "1", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert not bob.is_active
    assert "/remove/" not in tree_page(signed_in(alice.user), alice)
