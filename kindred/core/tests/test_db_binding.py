"""PostgreSQL binds the parameters (settings: OPTIONS["server_side_binding"]), so a statement a connection runs
again is prepared once and its plan kept: the hot statements (the API's grab, the session's user, the
membership on every circle page) are neither formatted by Python nor parsed and planned again each time."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

STATEMENT = "SELECT count(*) FROM auth_user WHERE id > %s AND username <> %s"


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_again_is_prepared_once() -> None:
    User.objects.create_user(username="binding")
    counts = []
    for i in range(8):
        with connection.cursor() as cursor:
            cursor.execute(STATEMENT, [-i, "nobody"])  # other values, the same statement
            counts.append(cursor.fetchone()[0])
    assert counts == [1] * 8
    # Sent as written with $1, $2 (the server binds the values), and prepared after psycopg's threshold.
    assert [s for s in _prepared() if "FROM auth_user WHERE id > $1 AND username <> $2" in s], _prepared()


def test_the_orm_reads_and_writes_through_server_binding() -> None:
    """Values of every kind the models use go through the server's binding unchanged."""
    user = User.objects.create_user(username='名字 "quoted" \\ back', email="a@b.cn", password="pw-123456")
    for _ in range(6):
        assert User.objects.filter(username__in=[user.username, "x"], is_active=True).get() == user
    assert User.objects.filter(date_joined__lte=user.date_joined, pk=user.pk).exists()
