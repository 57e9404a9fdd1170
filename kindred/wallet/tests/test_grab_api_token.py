"""POST /envelopes/<id>/grab with an API token: on PostgreSQL one statement checks the token, grabs and writes
the answer (`wallet_envelope_grab_api`, migration 0010). The answer is the general path's JSON; the token is
checked as `accounts.selectors.token_get_active` checks it (unknown, revoked, an inactive user: 401, nothing
grabbed), marked used as `accounts.auth` marks it; refusals are the general path's, in the caller's language."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from kindred.accounts.auth import TOKEN_TOUCH_INTERVAL_SECONDS
from kindred.accounts.models import ApiToken
from kindred.accounts.services import token_create, token_revoke
from kindred.circles.models import Membership
from kindred.core.models import AuditEvent
from kindred.core.tokens import token_hash
from kindred.wallet.models import Envelope, Share
from kindred.wallet.services import envelope_grab_answer, envelope_send, topup_create
from kindred.wallet.verify import ledger_verify

pytestmark = pytest.mark.django_db
migration = import_module("kindred.wallet.migrations.0012_grab_answer_as_text")  # the latest grab_api


def _bearer(raw: str, **headers: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}", **headers})


def _envelope(origin: Membership, shares: int = 3) -> Envelope:
    topup_create(user=origin.user, amount_fen=10_000, reference=f"tok-{random.random()}")
    return envelope_send(
        sender=origin, total_fen=300 * shares, shares=shares, mode="lucky", rng=random.Random(5)
    )


def _grabbed() -> tuple[int, int]:
    return Share.objects.filter(claimed_by__isnull=False).count(), AuditEvent.objects.count()


def test_a_token_grab_answers_as_the_general_path_in_one_statement(
    make_member: Callable[..., Membership], origin: Membership
) -> None:
    members = [make_member() for _ in range(3)]
    env = _envelope(origin)
    for i, member in enumerate(members):
        client = _bearer(token_create(user=member.user, name="t")[1])
        with CaptureQueriesContext(connection) as queries:
            answer = client.post(f"/api/v1/envelopes/{env.pk}/grab")
        statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
        assert answer.status_code == 200, answer.content
        assert answer["Content-Type"] == "application/json; charset=utf-8"
        expected = client.get(f"/api/v1/envelopes/{env.pk}").json()  # the general path's envelope_out
        assert answer.json() == {"amount_fen": expected["my_amount_fen"], "envelope": expected}
        assert expected["grabbed_count"] == i + 1
        if connection.vendor == "postgresql":  # the token, the grab and the answer: one statement
            assert len(statements) == 1, statements
    assert expected["status"] == "finished" and sum(g["luckiest"] for g in expected["grabs"]) == 1
    assert ledger_verify() == []


def test_names_that_json_escapes_answer_as_the_general_path(
    make_member: Callable[..., Membership], origin: Membership
) -> None:
    """The answer is written as text (migration 0012): names with quotes, backslashes, markup, emoji and
    CJK come out as the general path's JSON has them."""
    names = ['说 "你好" \\ 再见', "</script><b>&amp;", "🧧 红包 \\u0041", "'single' {braces} [x]"]
    members = [make_member(display_name=name) for name in names]
    env = _envelope(origin, shares=len(members))
    for member in members:
        client = _bearer(token_create(user=member.user, name="t")[1])
        answer = client.post(f"/api/v1/envelopes/{env.pk}/grab")
        assert answer.status_code == 200, answer.content
        expected = client.get(f"/api/v1/envelopes/{env.pk}").json()
        assert answer.json() == {"amount_fen": expected["my_amount_fen"], "envelope": expected}
    assert [g["member"]["display_name"] for g in expected["grabs"]] == names


def test_a_bad_token_is_the_apis_401_and_grabs_nothing(
    make_member: Callable[..., Membership], origin: Membership
) -> None:
    revoked, inactive, good = (make_member() for _ in range(3))
    env = _envelope(origin)
    token, raw_revoked = token_create(user=revoked.user, name="t")
    token_revoke(token=token, user=revoked.user)
    raw_inactive = token_create(user=inactive.user, name="t")[1]
    User.objects.filter(pk=inactive.user_id).update(is_active=False)
    before = _grabbed()
    anonymous = Client().post(f"/api/v1/envelopes/{env.pk}/grab")
    assert anonymous.status_code == 401
    for raw in (raw_revoked, raw_inactive, "kdr_not-a-token", "not-even-a-prefix"):
        got = _bearer(raw).post(f"/api/v1/envelopes/{env.pk}/grab")
        assert (got.status_code, got.json()) == (401, anonymous.json()), raw
    assert _grabbed() == before
    # A session cookie beside an unknown token is tried next, as everywhere in the API.
    session = Client(headers={"Authorization": "Bearer kdr_not-a-token"})
    session.force_login(good.user)
    assert session.post(f"/api/v1/envelopes/{env.pk}/grab").status_code == 200
    assert _grabbed()[0] == before[0] + 1


def test_refusals_through_a_token_are_the_general_paths_in_the_callers_language(
    make_member: Callable[..., Membership], origin: Membership
) -> None:
    first, second = make_member(), make_member()
    env = _envelope(origin, shares=1)
    outsider = User.objects.create_user(username="outsider")
    zh = {"Accept-Language": "zh-hans"}
    clients = {
        "sender": _bearer(token_create(user=origin.user, name="t")[1], **zh),
        "first": _bearer(token_create(user=first.user, name="t")[1], **zh),
        "second": _bearer(token_create(user=second.user, name="t")[1], **zh),
        "outsider": _bearer(token_create(user=outsider, name="t")[1], **zh),
    }
    url = f"/api/v1/envelopes/{env.pk}/grab"
    assert clients["first"].post(url).status_code == 200
    got = {who: clients[who].post(url) for who in ("sender", "first", "second", "outsider")}
    assert {who: (r.status_code, r.json().get("code")) for who, r in got.items()} == {
        "sender": (403, "own_envelope"),
        "first": (409, "already_grabbed"),
        "second": (410, "envelope_empty"),
        "outsider": (404, "invalid"),
    }
    with translation.override("zh-hans"):
        assert got["first"].json()["detail"] == gettext("You have already grabbed this red envelope.")
        assert got["second"].json()["detail"] == gettext("Too late: every share has been grabbed.")
    assert got["first"].json()["detail"] == "您已经抢过这个红包了。"
    assert ledger_verify() == []


@pytest.mark.postgres
def test_the_grab_marks_its_token_used_as_the_apis_auth_does(
    make_member: Callable[..., Membership], origin: Membership
) -> None:
    """Marked when never used or last used more than TOKEN_TOUCH_INTERVAL_SECONDS ago, even when the grab
    is refused; left alone otherwise (reads stay reads)."""
    member, _other = make_member(), make_member()
    env = _envelope(origin, shares=2)
    token, raw = token_create(user=member.user, name="t")
    t0 = timezone.now()

    def grab(at: datetime) -> str:
        answer = envelope_grab_answer(
            envelope_id=env.pk,
            token_hash=token_hash(raw),
            token_touch_seconds=TOKEN_TOUCH_INTERVAL_SECONDS,
            at=at,
        )
        assert answer is not None
        token.refresh_from_db()
        return answer.outcome

    assert grab(t0) == "ok" and token.last_used_at == t0  # never used
    assert grab(t0 + timedelta(seconds=TOKEN_TOUCH_INTERVAL_SECONDS)) == "refused"  # a second grab
    assert token.last_used_at == t0  # not more than the interval
    later = t0 + timedelta(seconds=TOKEN_TOUCH_INTERVAL_SECONDS + 1)
    assert grab(later) == "refused" and token.last_used_at == later
    assert ApiToken.objects.filter(pk=token.pk, last_used_at=later).exists()
    unknown = envelope_grab_answer(envelope_id=env.pk, token_hash=token_hash("kdr_nobody"), at=later)
    assert unknown is not None and unknown.outcome == "unauthenticated"


@pytest.mark.postgres
def test_the_token_condition_is_the_accounts_selectors() -> None:
    """The function's token check (frozen in migration 0010, kept by 0012) is token_get_active's statement's."""
    from kindred.accounts.selectors import _token_query_build

    sql = _token_query_build()[0]
    assert sql.endswith("WHERE " + migration.TOKEN_CONDITION.replace("p_token", "%s")), sql
    assert '"accounts_apitoken" t INNER JOIN "auth_user" u ON u.id = t.user_id' in sql
    assert (
        "FROM accounts_apitoken t INNER JOIN auth_user u ON u.id = t.user_id" in migration.GRAB_API_FUNCTION
    )


@pytest.mark.postgres
def test_json_time_writes_datetimes_as_the_apis_encoder() -> None:
    shanghai = timezone.get_fixed_timezone(8 * 60)
    times = [
        datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 12, 0, 0, 500, tzinfo=UTC),
        datetime(2026, 11, 30, 12, 0, 0, 999_999, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 123_456, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 120_000, tzinfo=shanghai),
        datetime(1999, 12, 31, 23, 59, 59, 1000, tzinfo=shanghai),
    ]
    with connection.cursor() as cursor:
        for at in times:
            cursor.execute("SELECT wallet_json_time(%s)", [at])
            expected: Any = json.loads(json.dumps(at.astimezone(UTC), cls=DjangoJSONEncoder))
            assert cursor.fetchone()[0] == expected, at
