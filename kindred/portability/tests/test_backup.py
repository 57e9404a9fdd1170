"""`kindred backup` / `kindred restore`: a circle with rows in every app's tables goes through a backup and a
restore into a fresh database, and every table (every model Django knows, row by row, ordered by primary key)
comes back the same, on SQLite and on PostgreSQL. A restore checks the file first and refuses to replace a
database that has accounts unless --force."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kindred.circles.models import Membership
from kindred.portability import backup as backup_module

from .scene import build

ROOT = Path(__file__).resolve().parents[3]
# Tables the scene leaves empty on purpose: permissions groups, sign-in throttling and sessions (no request
# was made), and the matcher's ranked pairs (it finds none worth listing in a circle this small).
MAY_BE_EMPTY = {
    "matching_matchentry",
    "auth_group",
    "auth_group_permissions",
    "auth_user_groups",
    "auth_user_user_permissions",
    "django_session",
    "axes_accessattempt",
    "axes_accessattemptexpiration",
    "axes_accessfailurelog",
    "axes_accesslog",
}


def _tables() -> list[tuple[str, str]]:
    """(table, primary key column) of every concrete model, the many-to-many tables included."""
    out = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        out.add((meta.db_table, meta.pk.column))
    return sorted(out)


def _rows(cursor: Any, table: str, pk: str) -> list[tuple]:
    cursor.execute(f'SELECT * FROM "{table}" ORDER BY "{pk}"')  # noqa: S608 (names from the models)
    return [tuple(row) for row in cursor.fetchall()]


def _stored(value: Any) -> Any:
    """A value as SQLite stores it (Django's SQLite cursor parses dates and times; a raw one does not)."""
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def _live_rows() -> dict[str, list[tuple]]:
    with connection.cursor() as cursor:
        rows = {table: _rows(cursor, table, pk) for table, pk in _tables()}
    if connection.vendor == "sqlite":
        rows = {table: [tuple(_stored(v) for v in row) for row in r] for table, r in rows.items()}
    return rows


def _kindred(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kindred", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KINDRED_TEST_DB_NAME", "SECRET_KEY")
    }
    env["KINDRED_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "kindred.settings.test"
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@pytest.fixture
def scene(origin: Membership, make_member: Callable[..., Membership]) -> None:
    build(origin, make_member)


def _assert_full(rows: dict[str, list[tuple]]) -> None:
    empty = sorted(t for t, r in rows.items() if not r and t not in MAY_BE_EMPTY)
    assert not empty, f"the scene left tables empty: {empty}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_round_trip_keeps_every_table(scene: None, tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite round trip")
    before = _live_rows()
    _assert_full(before)
    path = tmp_path / "kindred.backup"
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    assert "backup written" in out.getvalue()
    with tarfile.open(path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["format"] == "kindred-backup" and manifest["engine"] == "sqlite"
    assert "database.sqlite3" in manifest["files"]

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    result = _kindred(["restore", str(path)], _env(fresh, None))
    assert result.returncode == 0, result.stderr
    restored = sqlite3.connect(fresh / "kindred.sqlite3")
    try:
        cursor = restored.cursor()
        for table, pk in _tables():
            assert _rows(cursor, table, pk) == before[table], f"table {table} differs after the round trip"
    finally:
        restored.close()
    # The generated secret key travels with it (sessions and reset links stay valid on the new machine).
    if (
        Path(os.environ.get("KINDRED_DATA_DIR", "var")).resolve() / "secret_key"
    ).exists() and not os.environ.get("SECRET_KEY"):
        assert "secret_key" in manifest["files"]

    # Again into the same, now non-empty, database: refused without --force, done with it.
    again = _kindred(["restore", str(path)], _env(fresh, None))
    assert again.returncode != 0 and "--force" in again.stderr
    forced = _kindred(["restore", "--force", str(path)], _env(fresh, None))
    assert forced.returncode == 0, forced.stderr


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A fresh PostgreSQL database next to the test database, dropped afterwards."""
    settings = connection.settings_dict
    name = f"{settings['NAME']}_restore"
    admin = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    user = settings["USER"] or "postgres"
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    try:
        yield f"postgres://{user}{password}@{host}:{port}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.postgres
def test_postgres_round_trip_keeps_every_table(
    origin: Membership, make_member: Callable[..., Membership], scratch_database: str, tmp_path: Path
) -> None:
    build(origin, make_member)
    live = scratch_database.rsplit("/", 1)[0] + "/" + str(connection.settings_dict["NAME"])
    with psycopg.connect(live) as source, source.cursor() as cursor:  # the same types on both sides
        before = {table: _rows(cursor, table, pk) for table, pk in _tables()}
    _assert_full(before)
    path = tmp_path / "kindred.backup"
    call_command("backup", str(path), stdout=io.StringIO())
    result = _kindred(["restore", str(path)], _env(tmp_path, scratch_database))
    assert result.returncode == 0, result.stderr
    with psycopg.connect(scratch_database) as restored, restored.cursor() as cursor:
        for table, pk in _tables():
            assert _rows(cursor, table, pk) == before[table], f"table {table} differs after the round trip"
        # The sequences came back too: the next row gets a new id.
        cursor.execute("SELECT nextval(pg_get_serial_sequence('auth_user', 'id'))")
        (next_id,) = cursor.fetchone()  # type: ignore[misc]
        assert next_id > max(row[0] for row in before["auth_user"])
    again = _kindred(["restore", str(path)], _env(tmp_path, scratch_database))
    assert again.returncode != 0 and "--force" in again.stderr


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restore_checks_the_file_first(tmp_path: Path, make_user: Callable[..., User]) -> None:
    make_user("someone")
    users = User.objects.count()
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a tar archive at all")
    with pytest.raises(CommandError, match="not a Kindred backup"):
        call_command("restore", str(junk), "--force")
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing.backup"))

    def archive(name: str, manifest: dict[str, Any]) -> Path:
        path = tmp_path / name
        with tarfile.open(path, "w") as tar:
            data = json.dumps(manifest).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        return path

    engine = connection.vendor
    base = {"format": "kindred-backup", "version": 1, "engine": engine, "migrations": {}, "files": []}
    with pytest.raises(CommandError, match="version"):
        call_command("restore", str(archive("v9.backup", {**base, "version": 9})), "--force")
    with pytest.raises(CommandError, match="unknown format"):
        call_command("restore", str(archive("other.backup", {**base, "format": "other"})), "--force")
    other = "postgresql" if engine == "sqlite" else "sqlite"
    with pytest.raises(CommandError, match="this installation runs on"):
        call_command("restore", str(archive("engine.backup", {**base, "engine": other})), "--force")
    newer = {**base, "migrations": {"circles": ["9999_from_the_future"]}}
    with pytest.raises(CommandError, match="newer Kindred"):
        call_command("restore", str(archive("newer.backup", newer)), "--force")
    with pytest.raises(CommandError, match="holds no database"):
        call_command("restore", str(archive("empty.backup", base)), "--force")
    # A database with accounts is not replaced without --force (the check comes before any change).
    good = tmp_path / "good.backup"
    call_command("backup", str(good), stdout=io.StringIO())
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(good))
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(good))
    assert User.objects.count() == users
    assert backup_module.database_has_accounts()
