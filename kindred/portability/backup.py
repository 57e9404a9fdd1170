"""`kindred backup PATH` / `kindred restore PATH`: the whole installation in one file.

The file is a tar archive:
    manifest.json      {"format": "kindred-backup", "version": 1, "engine": "sqlite"|"postgresql",
                        "created_at", "migrations": {app: [applied migration names]}, "files": [...]}
    database.sqlite3   SQLite: a consistent copy made with SQLite's online backup API while the server
                       runs (readers and writers go on; the copy is one snapshot, WAL included)
    database.pgdump    PostgreSQL: `pg_dump --format=custom` of the DATABASE_URL database
    tasks.sqlite3      the background task store, when it is a SQLite file (Huey's SqliteHuey, the default);
                       on Redis the queue is not backed up (its tasks are re-derived from the database)
    secret_key         the generated secret key of the data dir (when SECRET_KEY is not set in the
                       environment): it signs sessions and password-reset links, so a restore onto a new
                       machine keeps everyone signed in and every reset link working. The database holds
                       password hashes already, so the key adds no new kind of secret to the file; keep
                       backups as private as the database. `--no-secret-key` leaves it out.

Restore checks the manifest first (format, version, engine, no migration the code does not know), refuses a
database that already holds accounts unless --force, then loads the database (SQLite: the backup API again,
into the live file; PostgreSQL: `pg_restore --clean --if-exists --no-owner`), and puts the task store and
the secret key back. Restart the server afterwards.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from kindred.core.fragments import forget_all

FORMAT = "kindred-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PGDUMP_MEMBER = "database.pgdump"
TASKS_MEMBER = "tasks.sqlite3"
SECRET_MEMBER = "secret_key"  # noqa: S105 (a file name)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (and nothing was changed)."""


@dataclass
class Manifest:
    engine: str
    created_at: str
    migrations: dict[str, list[str]]
    files: list[str] = field(default_factory=list)
    format: str = FORMAT
    version: int = VERSION

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True).encode()


def engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"unsupported database engine: {vendor}")
    return vendor


def _applied_migrations() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        out.setdefault(app, []).append(name)
    return out


def _secret_key_file() -> Path | None:
    """The data dir's generated key, when the installation uses it (no SECRET_KEY in the environment)."""
    if os.environ.get("SECRET_KEY"):
        return None
    path = Path(settings.DATA_DIR) / "secret_key"
    return path if path.exists() else None


def _tasks_file() -> Path | None:
    huey: dict[str, Any] = getattr(settings, "HUEY", {})
    filename = huey.get("filename")
    if huey.get("huey_class") != "huey.SqliteHuey" or not filename:
        return None
    return Path(filename)


def sqlite_copy(source: sqlite3.Connection, target_path: Path) -> None:
    """A consistent copy of a live SQLite database through the online backup API: every page in one step,
    under one read transaction (in WAL mode writers go on meanwhile; a copy made in several steps would
    start again each time another connection writes)."""
    target = sqlite3.connect(target_path)
    try:
        source.backup(target, pages=-1)
    finally:
        target.close()


@contextmanager
def _sqlite_source() -> Iterator[sqlite3.Connection]:
    """A connection of our own to the database file (Django's is left alone); for an in-memory database
    (tests) Django's own, outside any transaction (SQLite's backup would wait forever on its own lock)."""
    if connection.in_atomic_block:
        raise BackupError("a backup cannot run inside a database transaction")
    name = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db():  # type: ignore[attr-defined]
        connection.ensure_connection()
        yield connection.connection
        return
    source = sqlite3.connect(name, timeout=20)
    try:
        yield source
    finally:
        source.close()


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    """libpq's environment and connection arguments for the database Django is connected to (the test
    database in tests)."""
    db = connection.settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, [*args, "--dbname", str(db["NAME"])]


def _run(cmd: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(cmd[0])
    if tool is None:
        raise BackupError(f"{cmd[0]} is not installed (Debian: apt-get install postgresql-client)")
    # The arguments are ours: the tool found on PATH, our options, the configured database and a temp file.
    result = subprocess.run([tool, *cmd[1:]], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {result.stderr.strip()}")


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def backup(path: Path, *, secret_key: bool = True) -> Manifest:
    """Write the backup file at `path` (refusing to overwrite one). Returns its manifest."""
    if path.exists():
        raise BackupError(f"{path} exists: choose a new file")
    kind = engine()
    manifest = Manifest(engine=kind, created_at=timezone.now().isoformat(), migrations=_applied_migrations())
    with tempfile.TemporaryDirectory(prefix="kindred-backup-") as tmp:
        work = Path(tmp)
        members: list[tuple[str, Path]] = []
        if kind == "sqlite":
            with _sqlite_source() as source:
                sqlite_copy(source, work / SQLITE_MEMBER)
            members.append((SQLITE_MEMBER, work / SQLITE_MEMBER))
        else:
            env, args = _pg_env_and_args()
            _run(
                ["pg_dump", "--format=custom", "--no-owner", "--file", str(work / PGDUMP_MEMBER), *args], env
            )
            members.append((PGDUMP_MEMBER, work / PGDUMP_MEMBER))
        tasks = _tasks_file()
        if tasks is not None and tasks.exists():
            source = sqlite3.connect(tasks)
            try:
                sqlite_copy(source, work / TASKS_MEMBER)
            finally:
                source.close()
            members.append((TASKS_MEMBER, work / TASKS_MEMBER))
        key = _secret_key_file() if secret_key else None
        if key is not None:
            members.append((SECRET_MEMBER, key))
        manifest.files = [name for name, _ in members]
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            _add(tar, MANIFEST, manifest.to_json())
            for name, file in members:
                _add(tar, name, file.read_bytes())
        os.chmod(partial, 0o600)
        partial.replace(path)
    return manifest


def read_manifest(tar: tarfile.TarFile) -> Manifest:
    """The backup's manifest, checked: our format, a version we read, the engine of this installation,
    and no migration this code does not know."""
    try:
        raw = tar.extractfile(MANIFEST)
        data = json.loads(raw.read()) if raw is not None else None
    except (KeyError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError("not a Kindred backup: no readable manifest.json") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError("not a Kindred backup: unknown format")
    if data.get("version") != VERSION:
        raise BackupError(
            f"backup format version {data.get('version')!r}: this Kindred reads version {VERSION}"
        )
    manifest = Manifest(
        engine=str(data.get("engine")),
        created_at=str(data.get("created_at")),
        migrations=dict(data.get("migrations") or {}),
        files=list(data.get("files") or []),
    )
    if manifest.engine != engine():
        raise BackupError(
            f"this backup is of a {manifest.engine} database; this installation runs on {engine()}"
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest.migrations.items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            "the backup was made by a newer Kindred (unknown migrations: "
            + ", ".join(unknown[:5])
            + "): upgrade first"
        )
    database = SQLITE_MEMBER if manifest.engine == "sqlite" else PGDUMP_MEMBER
    if database not in manifest.files:
        raise BackupError("the backup holds no database")
    return manifest


def database_has_accounts() -> bool:
    """Whether the database Django is configured for already holds accounts (a restore would replace them)."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if "auth_user" not in tables:
            return False
        cursor.execute("SELECT 1 FROM auth_user LIMIT 1")
        return cursor.fetchone() is not None


@contextmanager
def _opened(path: Path) -> Iterator[tarfile.TarFile]:
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        tar = tarfile.open(path, "r")  # noqa: SIM115 (closed by the context manager below)
    except tarfile.TarError as exc:
        raise BackupError(f"{path} is not a Kindred backup (not a tar archive)") from exc
    try:
        yield tar
    finally:
        tar.close()


def _extract(tar: tarfile.TarFile, name: str, target: Path) -> Path:
    member = tar.extractfile(name)
    if member is None:
        raise BackupError(f"the backup's {name} is missing")
    with open(target, "wb") as fh:
        shutil.copyfileobj(member, fh)
    return target


def restore(path: Path, *, force: bool = False) -> Manifest:
    """Load the backup at `path` into the configured database (see the module's docstring)."""
    with _opened(path) as tar:
        manifest = read_manifest(tar)
        if database_has_accounts() and not force:
            raise BackupError(
                "the database is not empty (it has accounts): restore with --force to replace it"
            )
        with tempfile.TemporaryDirectory(prefix="kindred-restore-") as tmp:
            work = Path(tmp)
            if manifest.engine == "sqlite":
                copy = _extract(tar, SQLITE_MEMBER, work / SQLITE_MEMBER)
                _sqlite_check(copy)
                connections.close_all()
                source = sqlite3.connect(copy)
                target = sqlite3.connect(str(connection.settings_dict["NAME"]))
                try:
                    source.backup(target)
                finally:
                    target.close()
                    source.close()
            else:
                dump = _extract(tar, PGDUMP_MEMBER, work / PGDUMP_MEMBER)
                connections.close_all()
                env, args = _pg_env_and_args()
                _run(
                    [
                        "pg_restore",
                        "--clean",
                        "--if-exists",
                        "--no-owner",
                        "--exit-on-error",
                        *args,
                        str(dump),
                    ],
                    env,
                )
            tasks = _tasks_file()
            if TASKS_MEMBER in manifest.files and tasks is not None:
                copy = _extract(tar, TASKS_MEMBER, work / TASKS_MEMBER)
                source = sqlite3.connect(copy)
                target = sqlite3.connect(tasks)
                try:
                    source.backup(target)
                finally:
                    target.close()
                    source.close()
            if SECRET_MEMBER in manifest.files and not os.environ.get("SECRET_KEY"):
                key = Path(settings.DATA_DIR) / "secret_key"
                _extract(tar, SECRET_MEMBER, work / SECRET_MEMBER)
                partial = key.with_name("secret_key.partial")
                partial.write_bytes((work / SECRET_MEMBER).read_bytes())
                os.chmod(partial, 0o600)
                partial.replace(key)
    # The restored rows carry older versions than the kept fragments (sessions too): forget them all, so a
    # version reached again never finds what was rendered from the rows it replaced.
    forget_all()
    return manifest


def _sqlite_check(path: Path) -> None:
    """The copy in the backup is a whole SQLite database."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (verdict,) = db.execute("PRAGMA quick_check").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the backup's database is damaged: {exc}") from exc
    if verdict != "ok":
        raise BackupError(f"the backup's database is damaged: {verdict}")
